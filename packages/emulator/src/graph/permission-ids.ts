/**
 * Microsoft Graph's permission ids (oauth2PermissionScopes = "Scope", appRoles = "Role"), as listed
 * in the permissions reference: https://learn.microsoft.com/graph/permissions-reference. An id the
 * emulator does not know is refused (stricter than not checking; docs/emulator.md lists the question).
 */
export const GRAPH_SCOPE_IDS: Record<string, string> = {
  'e1fe6dd8-ba31-4d61-89e7-88639da4683d': 'User.Read',
  'e383f46e-2787-4529-855e-0e479a3ffac0': 'Mail.Send',
  '024d486e-b451-40bb-833d-3e66d98c5c73': 'Mail.ReadWrite',
  '570282fd-fa5c-430d-a7fd-fc8dc98a9dca': 'Mail.Read',
  '7427e0e9-2fba-42fe-b0c0-848c9e6a8182': 'offline_access',
  '37f7f235-527c-4136-accd-4a02d197296e': 'openid',
  '14dad69e-099b-42c9-810b-d002981feec1': 'profile',
  '64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0': 'email',
};

export const GRAPH_ROLE_IDS: Record<string, string> = {
  'b633e1c5-b582-4048-a93e-9f11b44c7e96': 'Mail.Send',
  'e2a3a72e-5f79-4c64-b1b1-878b674786c9': 'Mail.ReadWrite',
  '810c84a8-4a9e-49e6-bf7d-12d183f40d01': 'Mail.Read',
  '18a4783c-866b-4cc7-a460-3d5e5662c884': 'Application.ReadWrite.OwnedBy',
  '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9': 'Application.ReadWrite.All',
};

function invert(table: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(table).map(([id, name]) => [name.toLowerCase(), id]));
}

const SCOPE_BY_NAME = invert(GRAPH_SCOPE_IDS);
const ROLE_BY_NAME = invert(GRAPH_ROLE_IDS);

export function scopeIdOf(name: string): string | undefined {
  return SCOPE_BY_NAME[name.toLowerCase()];
}

export function roleIdOf(name: string): string | undefined {
  return ROLE_BY_NAME[name.toLowerCase()];
}
