import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { backend } from "./backend";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// The first frame is on screen when the second animation frame starts: tell
// the shell (it logs the cold-start time; the benchmark reads it).
requestAnimationFrame(() => requestAnimationFrame(() => void backend().firstPaint().catch(() => {})));
