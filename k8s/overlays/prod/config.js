// Run-time settings of the Galaxy admin dashboard in galaxy-prod (mounted at /admin/config.js).
window.GALAXY_CONFIG = {
  API_BASE_URL: "https://galaxy.example.com/api",
  ENVIRONMENT: "prod",
};
