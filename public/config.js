// Run-time settings of the Galaxy admin dashboard. In Kubernetes this file is
// replaced by the dashboard's ConfigMap; this copy is the local-dev default.
window.GALAXY_CONFIG = {
  // An absolute https URL, or a same-origin path such as "/api".
  API_BASE_URL: "https://localhost:30002/api",
  // dev, staging or prod: shown as a colour-coded badge in the header.
  ENVIRONMENT: "dev",
  // Optional, in milliseconds:
  // STATUS_POLL_MS: 2000,
  // VERSION_POLL_MS: 60000,
};
