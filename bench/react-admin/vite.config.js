import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the project's nginx under /admin/. Hashed names in hex, beside
// index.html, so nginx's immutable-cache rule for hashed assets applies to this
// build exactly as it does to trunk's.
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: {
    assetsDir: '',
    reportCompressedSize: false,
    // One bundle, as react-admin's own scaffold ships it; the benchmark reports its size.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      output: {
        hashCharacters: 'hex',
        entryFileNames: '[name]-[hash:16].js',
        chunkFileNames: '[name]-[hash:16].js',
        assetFileNames: '[name]-[hash:16][extname]',
      },
    },
  },
});
