// The first frame is on screen when the second animation frame starts (as Quiesce's ui/src/main.tsx).
requestAnimationFrame(() => requestAnimationFrame(() => window.__TAURI__.core.invoke("painted")));
