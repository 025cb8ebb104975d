// Default run-time settings: the API on the same origin, under /api. Overlays replace this.
window.GALAXY_CONFIG = {
  API_BASE_URL: "/api",
};
