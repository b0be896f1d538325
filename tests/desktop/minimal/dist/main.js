requestAnimationFrame(() => window.__TAURI_INTERNALS__.invoke('ready'));
