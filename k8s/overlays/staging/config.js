// Run-time settings of the Galaxy admin dashboard in galaxy-staging (mounted at /admin/config.js).
window.GALAXY_CONFIG = {
  API_BASE_URL: "https://localhost:31002/api",
  ENVIRONMENT: "staging",
};
