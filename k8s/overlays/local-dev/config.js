// Run-time settings of the Galaxy admin dashboard in galaxy-dev (mounted at /admin/config.js).
window.GALAXY_CONFIG = {
  API_BASE_URL: "https://localhost:30002/api",
  ENVIRONMENT: "dev",
};
