// The dashboard's run-time settings (window.GALAXY_CONFIG from /admin/config.js),
// read the same way so both apps run against the same ConfigMap.
const config = window.GALAXY_CONFIG ?? {};

export const apiUrl = (config.API_BASE_URL ?? '/api').replace(/\/+$/, '');
export const statusPollMs = config.STATUS_POLL_MS ?? 2000;
