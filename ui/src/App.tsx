import { useEffect, useRef, useState, type ReactElement } from "react";
import type { AppInfo, RecoveryReport } from "./bindings";
import { backend } from "./backend";
import { moveFocus } from "./data/focus";
import { JobsProvider } from "./data/jobs";
import type { OverviewTarget } from "./data/overview";
import { JobsIndicator, QuitGuard } from "./components/JobsPanel";
import { BackupsView } from "./views/BackupsView";
import { DeploymentsView } from "./views/DeploymentsView";
import { MigrateView } from "./views/MigrateView";
import { OverviewView } from "./views/OverviewView";
import { PauseView } from "./views/PauseView";
import { PlanView } from "./views/PlanView";
import { ProfilesView } from "./views/ProfilesView";
import { RestorePointsView } from "./views/RestorePointsView";
import { RestoreView } from "./views/RestoreView";

type View = "overview" | "deployments" | "plan" | "profiles" | "backups" | "restore" | "pause" | "restore-points" | "migrate";

const NAV: { id: View; label: string; icon: string }[] = [
  { id: "overview", label: "Overview", icon: "⌂" },
  { id: "deployments", label: "Deployments", icon: "◎" },
  { id: "plan", label: "Plan", icon: "◇" },
  { id: "profiles", label: "Profiles", icon: "⛁" },
  { id: "backups", label: "Backups", icon: "▤" },
  { id: "restore", label: "Restore", icon: "⟲" },
  { id: "pause", label: "Pause", icon: "‖" },
  { id: "restore-points", label: "Restore points", icon: "◷" },
  { id: "migrate", label: "Migrate", icon: "⇄" },
];

/** What a view is given: how to move to another, and a backup picked for a restore. */
interface Nav {
  go: (v: View) => void;
  /** The deployment the overview sent the user to (views preselect it). */
  focus: string | null;
  open: (t: OverviewTarget) => void;
  restoreFrom: string | null;
  setRestoreFrom: (id: string | null) => void;
  /** The profile (by name) the overview's restore goes into. */
  restoreInto: string | null;
}

const VIEWS: Record<View, (n: Nav) => ReactElement> = {
  overview: (n) => <OverviewView onGo={n.open} />,
  profiles: () => <ProfilesView />,
  deployments: () => <DeploymentsView />,
  plan: (n) => <PlanView initialDeployment={n.focus} />,
  backups: (n) => (
    <BackupsView
      initialDeployment={n.focus}
      onRestore={(id) => {
        n.setRestoreFrom(id);
        n.go("restore");
      }}
    />
  ),
  restore: (n) => <RestoreView initialBackup={n.restoreFrom} initialTarget={n.restoreInto} />,
  pause: () => <PauseView />,
  migrate: () => <MigrateView />,
  "restore-points": (n) => (
    <RestorePointsView
      initialDeployment={n.focus}
      onRestore={(id) => {
        n.setRestoreFrom(id);
        n.go("restore");
      }}
    />
  ),
};

export function App() {
  return (
    <JobsProvider>
      <Shell />
    </JobsProvider>
  );
}

function Shell() {
  const [view, setView] = useState<View>("overview");
  const [focus, setFocus] = useState<string | null>(null);
  const [info, setInfo] = useState<AppInfo | null>(null);
  // A backup picked in the Backups view's history, handed to the restore wizard.
  const [restoreFrom, setRestoreFrom] = useState<string | null>(null);
  const [restoreInto, setRestoreInto] = useState<string | null>(null);
  // Bumped when a view sends the user to another (the button pressed goes
  // away): the new view's heading then takes the focus.
  const [arrived, setArrived] = useState(0);
  const mainRef = useRef<HTMLElement>(null);
  const arrive = (v: View) => {
    setView(v);
    setArrived((n) => n + 1);
  };
  useEffect(() => {
    if (arrived > 0) moveFocus(mainRef.current?.querySelector<HTMLElement>("h1"));
  }, [arrived, view]);

  // What the start-up step did (it runs after the first paint, never before).
  const [startup, setStartup] = useState<RecoveryReport | null>(null);

  useEffect(() => {
    backend().appInfo().then(setInfo).catch(() => setInfo(null));
    backend().startupReport().then(setStartup).catch(() => setStartup(null));
  }, []);

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <img src="/icon.svg" alt="" width={28} height={28} />
          <span>Quiesce</span>
        </div>
        <ul>
          {NAV.map((n) => (
            <li key={n.id}>
              <button
                className={view === n.id ? "nav active" : "nav"}
                aria-current={view === n.id ? "page" : undefined}
                data-testid={`nav-${n.id}`}
                onClick={() => {
                  setFocus(null);
                  setView(n.id);
                }}
              >
                <span className="nav-icon" aria-hidden>
                  {n.icon}
                </span>
                {n.label}
              </button>
            </li>
          ))}
        </ul>
        <JobsIndicator onShow={(kind) => setView(kind === "backup" ? "backups" : kind)} />
        <div className="sidebar-footer">
          {info && (
            <>
              <div
                className={info.keyring.available ? "status ok" : "status bad"}
                title={info.keyring.message ?? "Passwords are stored in the OS keyring"}
                data-testid="keyring-status"
              >
                <span className="dot" aria-hidden />
                {info.keyring.available ? "Keyring available" : "Keyring unavailable"}
              </div>
              <div className="muted small">v{info.version}</div>
            </>
          )}
        </div>
      </nav>
      <main className="content" ref={mainRef}>
        {info && !info.keyring.available && (
          <div className="banner error" role="alert">
            <strong>Passwords cannot be stored.</strong> {info.keyring.message}
          </div>
        )}
        {startup && (startup.removed.length + startup.repaired.length + startup.failed.length + startup.flagged.length > 0) && (
          <div className="banner warn" role="status" data-testid="startup-report">
            {startup.removed.length > 0 && (
              <>
                <strong>Cleaned up after jobs that were killed:</strong>
                <ul className="notes">{startup.removed.map((r, i) => <li key={`r${i}`}>removed {r}</li>)}</ul>
              </>
            )}
            {startup.repaired.length > 0 && (
              <>
                <strong>Repaired in what an earlier release saved:</strong>
                <ul className="notes">{startup.repaired.map((r, i) => <li key={`p${i}`}>{r}</li>)}</ul>
              </>
            )}
            {startup.failed.length + startup.flagged.length > 0 && (
              <>
                <strong>Needs your attention:</strong>
                <ul className="notes">{[...startup.failed, ...startup.flagged].map((r, i) => <li key={`f${i}`}>{r}</li>)}</ul>
              </>
            )}
            <button className="small" onClick={() => setStartup(null)}>Dismiss</button>
          </div>
        )}
        {VIEWS[view]({
          go: arrive,
          restoreFrom,
          setRestoreFrom: (id) => {
            setRestoreFrom(id);
            setRestoreInto(null);
          },
          restoreInto,
          focus,
          open: (t) => {
            setFocus(t.deploymentId);
            if (t.view === "restore" && t.target) {
              setRestoreFrom(t.target);
              setRestoreInto(t.into ?? null);
            }
            if (NAV.some((n) => n.id === t.view)) arrive(t.view as View);
          },
        })}
        <QuitGuard />
      </main>
    </div>
  );
}
