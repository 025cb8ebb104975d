import { apiUrl } from './settings';

const STORAGE_KEY = 'galaxy.session';

function readSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(STORAGE_KEY));
    return session && session.expiresAt > Date.now() ? session : null;
  } catch {
    return null;
  }
}

export const bearerToken = () => readSession()?.token;

export const authProvider = {
  async login({ username, password }) {
    const response = await fetch(`${apiUrl}/admin/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(typeof body.detail === 'string' ? body.detail : `Login failed (HTTP ${response.status})`);
    }
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({
      token: body.access_token,
      username,
      expiresAt: Date.now() + body.expires_in * 1000,
    }));
  },
  async logout() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
  async checkAuth() {
    if (!readSession()) throw new Error('Your session has ended. Please log in again.');
  },
  async checkError(error) {
    if (error?.status === 401) {
      sessionStorage.removeItem(STORAGE_KEY);
      throw new Error('Your session has ended. Please log in again.');
    }
  },
  async getIdentity() {
    const session = readSession();
    return { id: session?.username, fullName: session?.username };
  },
  async getPermissions() {},
};
