export { productVersion } from './version.js';
