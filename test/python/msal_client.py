#!/usr/bin/python3
"""An independent OAuth client for the emulator: Microsoft's MSAL for Python (Debian python3-msal).

It proves the emulator speaks the same protocol as Entra ID to a second, unrelated MSAL
implementation. Input: one JSON object on stdin (not argv, so the
client secret never shows in a process list). Output: one JSON object per
line on stdout, so the caller can react while the script runs (approve the device code).
Tokens are never printed; only their claims that matter and a short fingerprint.

Arguments (JSON):
  mode           "device_code" (device code, then a forced silent refresh) or "client_credentials"
  authority      e.g. "https://127.0.0.1:PORT/<tenant id or domain>"
  client_id      the app's Application (client) ID
  client_secret  client_credentials only (or private_key + thumbprint: a certificate credential)
  scopes         list; default ["Mail.Send"] (device_code) or ["https://graph.microsoft.com/.default"]
  ca_bundle      the emulator's CA certificate (PEM): TLS stays verified, against that CA
  graph_url      e.g. "https://127.0.0.1:PORT/v1.0"
  to             recipient address of the mail sent with each token
  sender         client_credentials only: the mailbox to send from (/users/{sender}/sendMail)
  subject        subject prefix (default "python-msal")
  timeout        seconds to wait for the device code approval (default 30)
"""
import base64
import hashlib
import json
import sys
import time

import msal
import requests


def emit(event, **fields):
    print(json.dumps(dict(event=event, **fields)), flush=True)


def fingerprint(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def claims_of(jwt):
    """The payload of a JWT, without verifying it (the emulator's own tests do that)."""
    payload = jwt.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))


def describe_token(result):
    claims = claims_of(result["access_token"])
    return dict(
        fingerprint=fingerprint(result["access_token"]),
        token_type=result.get("token_type"),
        expires_in=result.get("expires_in"),
        scope=result.get("scope"),
        has_refresh_token="refresh_token" in result,
        has_id_token="id_token" in result,
        aud=claims.get("aud"),
        scp=claims.get("scp"),
        roles=claims.get("roles"),
        tid=claims.get("tid"),
        upn=claims.get("upn"),
        appid=claims.get("appid"),
    )


def fail(stage, result):
    """Reports an MSAL error result (Entra's JSON shape) and stops."""
    result = result or {}
    emit(
        "error",
        stage=stage,
        error=result.get("error"),
        error_description=result.get("error_description"),
        error_codes=result.get("error_codes"),
    )
    sys.exit(1)


def send_mail(args, access_token, path, subject):
    message = {
        "message": {
            "subject": subject,
            "body": {"contentType": "Text", "content": "Sent by MSAL for Python through the emulator."},
            "toRecipients": [{"emailAddress": {"address": args["to"]}}],
        },
        "saveToSentItems": False,
    }
    response = requests.post(
        args["graph_url"].rstrip("/") + path,
        json=message,
        headers={"Authorization": "Bearer " + access_token},
        verify=args["ca_bundle"],
        timeout=15,
    )
    emit("sendMail", path=path, subject=subject, status=response.status_code, body=response.text or None)
    if response.status_code != 202:
        sys.exit(1)


def run_device_code(args):
    app = msal.PublicClientApplication(
        args["client_id"],
        authority=args["authority"],
        instance_discovery=False,
        verify=args["ca_bundle"],
    )
    scopes = args.get("scopes") or ["Mail.Send"]
    flow = app.initiate_device_flow(scopes=scopes)
    if "user_code" not in flow:
        fail("initiate_device_flow", flow)
    emit(
        "device_code",
        user_code=flow["user_code"],
        verification_uri=flow.get("verification_uri"),
        interval=flow.get("interval"),
        expires_in=flow.get("expires_in"),
        message=flow.get("message"),
    )
    deadline = time.time() + float(args.get("timeout", 30))
    result = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: time.time() > min(deadline, f["expires_at"]))
    if "access_token" not in result:
        fail("acquire_token_by_device_flow", result)
    first = describe_token(result)
    emit("token", grant="device_code", **first)
    prefix = args.get("subject", "python-msal")
    send_mail(args, result["access_token"], "/me/sendMail", prefix + " device code")

    accounts = app.get_accounts()
    if not accounts:
        fail("get_accounts", {"error": "no_account", "error_description": "MSAL cached no account after device code"})
    emit("account", username=accounts[0].get("username"), home_account_id=accounts[0].get("home_account_id"))
    refreshed = app.acquire_token_silent_with_error(scopes, account=accounts[0], force_refresh=True)
    if not refreshed or "access_token" not in refreshed:
        fail("acquire_token_silent", refreshed)
    second = describe_token(refreshed)
    emit("token", grant="refresh_token", **second)
    if second["fingerprint"] == first["fingerprint"]:
        fail("acquire_token_silent", {"error": "not_refreshed", "error_description": "force_refresh returned the cached token"})
    send_mail(args, refreshed["access_token"], "/me/sendMail", prefix + " refreshed")


def run_client_credentials(args):
    app = msal.ConfidentialClientApplication(
        args["client_id"],
        # A certificate credential (private_key_jwt): the PEM private key and the SHA-1 thumbprint.
        client_credential=(
            {"private_key": args["private_key"], "thumbprint": args["thumbprint"]} if "private_key" in args else args["client_secret"]
        ),
        authority=args["authority"],
        instance_discovery=False,
        verify=args["ca_bundle"],
    )
    scopes = args.get("scopes") or ["https://graph.microsoft.com/.default"]
    result = app.acquire_token_for_client(scopes=scopes)
    if "access_token" not in result:
        fail("acquire_token_for_client", result)
    emit("token", grant="client_credentials", **describe_token(result))
    prefix = args.get("subject", "python-msal")
    send_mail(args, result["access_token"], "/users/" + args["sender"] + "/sendMail", prefix + " client credentials")


def main():
    try:
        args = json.load(sys.stdin)
    except ValueError as err:
        print("usage: echo '{\"mode\": ...}' | msal_client.py  (stdin must be one JSON object: %s)" % err, file=sys.stderr)
        sys.exit(2)
    emit("start", msal_version=msal.__version__, mode=args["mode"])
    if args["mode"] == "device_code":
        run_device_code(args)
    elif args["mode"] == "client_credentials":
        run_client_credentials(args)
    else:
        print("mode must be device_code or client_credentials", file=sys.stderr)
        sys.exit(2)
    emit("done", ok=True)


if __name__ == "__main__":
    main()
