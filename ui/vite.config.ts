import { defineConfig } from 'vite';

// Built into ui/dist, served by Tauri (frontendDist) and by linkwell-bridge.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: { port: 5173, strictPort: true },
});
