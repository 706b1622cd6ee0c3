// The Restore wizard: a backup (from the catalog or a folder), its target
// profile(s), the checks (nothing touched), the restore as a cancellable job,
// and its verification.
import { useEffect, useMemo, useRef, useState } from "react";
import type { RestorePreflight, VerifyReport } from "../bindings";
import { backend, BackendError, newJobId } from "../backend";
import { useCatalog, useProfiles } from "../data/query";
import { EMPTY_RESTORE, profilesFor, restorable, restoreOptions, usableBackup, type RestoreChoice } from "../data/restore";
import { Verification } from "../components/Verification";
import { Wizard, WizardRun, useWizardJob } from "../components/Wizard";
import { BackupStep, TargetStep } from "../components/restore/RestoreSteps";
import { ChecksStep } from "../components/restore/RestoreChecks";
import { RestoreOutcome } from "../components/restore/RestoreOutcome";

const STEPS = ["Backup", "Target", "Checks", "Restore", "Verification"];

export function RestoreView({ initialBackup = null, initialTarget = null }: { initialBackup?: string | null; initialTarget?: string | null } = {}) {
  const catalog = useCatalog();
  const allProfiles = useProfiles();
  const backups = useMemo(() => catalog.list.filter(usableBackup), [catalog.list]);
  const profiles = useMemo(() => allProfiles.list.filter(restorable), [allProfiles.list]);
  const [choice, setChoice] = useState<RestoreChoice>(EMPTY_RESTORE);
  const [pf, setPf] = useState<RestorePreflight | null>(null);
  const [checking, setChecking] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<BackendError | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [liveReports, setLiveReports] = useState<VerifyReport[]>([]);
  const resultRef = useRef<HTMLDivElement>(null);
  const doneRef = useRef<HTMLDivElement>(null);
  const set = (patch: Partial<RestoreChoice>) => setChoice((c) => ({ ...c, ...patch }));

  // The backup picked elsewhere (else the newest) and the profile named (else the first), once the lists are read.
  useEffect(() => {
    if (!catalog.fresh) return;
    const wanted = initialBackup && backups.some((x) => x.id === initialBackup) ? initialBackup : backups[0]?.id;
    if (wanted) setChoice((c) => (c.source ? c : { ...c, source: wanted }));
  }, [catalog.fresh, backups, initialBackup]);
  useEffect(() => {
    if (!allProfiles.fresh) return;
    const wanted = profiles.find((x) => x.name === initialTarget) ?? profiles[0];
    if (wanted) setChoice((c) => (c.target ? c : { ...c, target: wanted.id }));
  }, [allProfiles.fresh, profiles, initialTarget]);

  // Any change of choice invalidates the checks.
  useEffect(() => {
    setPf(null);
    setTyped("");
    setError(null);
    setLiveReports([]);
  }, [choice]);

  const backupRef = choice.folder.trim() !== "" ? choice.folder.trim() : choice.source;
  const chosen = backups.find((b) => b.id === choice.source);
  const units = chosen && choice.folder.trim() === "" ? chosen.units : [];
  const multi = units.length > 1;
  // Each unit starts on the profile it was read from, when it is one of its
  // family; otherwise nothing is chosen: two units never default to one target.
  useEffect(() => {
    if (!multi) return;
    setChoice((c) => {
      const next: Record<string, string> = {};
      for (const u of units) next[u.id] = c.unitTargets[u.id] ?? profilesFor(u, profiles).find((p) => p.name === u.profile || p.id === u.profile)?.id ?? "";
      return { ...c, unitTargets: next };
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [choice.source, choice.folder, profiles, multi]);
  const chosenTargets = units.map((u) => choice.unitTargets[u.id] ?? "").filter((t) => t !== "");
  const sharedTarget = multi && new Set(chosenTargets).size < chosenTargets.length;
  const targetsChosen = multi ? units.every((u) => (choice.unitTargets[u.id] ?? "") !== "") && !sharedTarget : choice.target !== "";

  const { jobs, running, shown, step } = useWizardJob("restore", !!pf, targetsChosen);

  async function check() {
    setChecking(true);
    setError(null);
    try {
      setPf(await backend().restoreDryRun(backupRef, restoreOptions(choice, units), newJobId()));
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setChecking(false);
    }
  }

  /** Verifies the chosen targets as they are now, against the chosen backup (each against its unit). */
  async function verifyNow() {
    setVerifying(true);
    setError(null);
    setLiveReports([]);
    try {
      const pairs: [string, string | null][] = multi ? units.map((u) => [choice.unitTargets[u.id], u.id]) : [[choice.target, null]];
      const reports: VerifyReport[] = [];
      for (const [profile, unit] of pairs) reports.push(await backend().verifyProfile(profile, backupRef || null, unit, newJobId()));
      setLiveReports(reports);
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setVerifying(false);
    }
  }

  function start() {
    if (!pf) return;
    const opts = { ...restoreOptions(choice, units), confirm: pf.will_replace ? typed : null };
    const ref = backupRef;
    jobs.start("restore", `Restore of ${pf.backup_id} into ${pf.confirm_name}`, (jobId, onEvent) => backend().startRestore(ref, opts, jobId, onEvent), pf.bytes);
    setPf(null);
  }

  // Each new stage of the wizard comes into view.
  useEffect(() => {
    const el = shown && !running ? doneRef.current : resultRef.current;
    el?.scrollIntoView?.({ block: "start", behavior: "smooth" });
  }, [pf, shown?.state, running]);

  return (
    <Wizard title="Restore" steps={STEPS} step={step}>
      <BackupStep backups={backups} choice={choice} set={set} chosen={chosen} disabled={running} />
      <TargetStep
        profiles={profiles}
        units={units}
        choice={choice}
        set={set}
        sharedTarget={sharedTarget}
        disabled={running}
        canCheck={!!backupRef && targetsChosen && !checking}
        checking={checking}
        onCheck={check}
        canVerify={targetsChosen && !verifying}
        verifying={verifying}
        onVerify={verifyNow}
      />
      {error && (
        <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="restore-error">
          <strong>{error.code}</strong> {error.message}
        </div>
      )}
      <div ref={resultRef} />
      {!pf && !shown && liveReports.map((r, i) => <Verification report={r} key={i} />)}
      {pf && !running && <ChecksStep pf={pf} typed={typed} setTyped={setTyped} onStart={start} />}
      <div ref={doneRef} />
      {shown && (
        <WizardRun job={shown} name="restore" cancelTestId="cancel-restore" onCancel={() => jobs.cancel(shown.id)}>
          {(r, outcome) => <RestoreOutcome r={r} profiles={profiles} outcome={outcome} />}
        </WizardRun>
      )}
    </Wizard>
  );
}
