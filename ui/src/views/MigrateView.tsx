// The Migrate wizard: a deployment to other databases (another engine, or
// several storages consolidated into one), checked before anything is
// written, run as a cancellable job, and proven table by table.
import { useEffect, useMemo, useRef, useState } from "react";
import type { MigrationPlan } from "../bindings";
import { backend, BackendError, newJobId } from "../backend";
import { EMPTY_MIGRATE, migrateOptions, scratchUnits, type MigrateChoice } from "../data/migrate";
import { useCatalog, useDeployments, useProfiles } from "../data/query";
import { restorable, usableBackup } from "../data/restore";
import { Wizard, WizardRun, useWizardJob } from "../components/Wizard";
import { SourceStep, TargetsStep } from "../components/migrate/MigrateSteps";
import { ChecksStep } from "../components/migrate/MigrateChecks";
import { MigrateProof } from "../components/migrate/MigrateProof";

const STEPS = ["Source", "Targets", "Checks", "Migrate", "Proof"];

export function MigrateView() {
  const deps = useDeployments();
  const allProfiles = useProfiles();
  const catalog = useCatalog();
  const deployments = deps.list;
  const profiles = useMemo(() => allProfiles.list.filter(restorable), [allProfiles.list]);
  const backups = useMemo(() => catalog.list.filter(usableBackup), [catalog.list]);
  const [choice, setChoice] = useState<MigrateChoice>(EMPTY_MIGRATE);
  const [plan, setPlan] = useState<MigrationPlan | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<BackendError | string | null>(null);
  const [cleaned, setCleaned] = useState<string[] | null>(null);
  const stepRef = useRef<HTMLDivElement>(null);
  const set = (patch: Partial<MigrateChoice>) => setChoice((c) => ({ ...c, ...patch }));

  // The first deployment, once the list is read.
  useEffect(() => {
    if (deps.fresh && deployments.length > 0) setChoice((c) => (c.deployment ? c : { ...c, deployment: deployments[0].id }));
  }, [deps.fresh, deployments]);

  // Any change of choice invalidates the checks.
  useEffect(() => {
    setPlan(null);
    setError(null);
    setCleaned(null);
  }, [choice]);

  const dep = deployments.find((d) => d.id === choice.deployment);
  const storages = dep?.storages.map((s) => s.name) ?? [];
  const ofDep = backups.filter((b) => b.deployment_id === choice.deployment);
  const backup = ofDep.find((b) => b.id === choice.backup);
  const needScratch = scratchUnits(backup);
  const chosen =
    storages.length > 0 && storages.every((s) => (choice.targets[s] ?? "") !== "") && needScratch.every((u) => (choice.scratch[u.id] ?? "") !== "");
  // A storage whose target is its own source profile would overwrite the deployment.
  const ontoItself = dep?.storages.filter((s) => choice.targets[s.name] === s.profile_id).map((s) => s.name) ?? [];

  const { jobs, running, shown, step } = useWizardJob("migrate", !!plan, chosen);

  async function check() {
    const opts = migrateOptions(choice, storages);
    if (typeof opts === "string") return setError(opts);
    setChecking(true);
    setError(null);
    try {
      setPlan(await backend().migrateDryRun(choice.deployment, opts, newJobId()));
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setChecking(false);
    }
  }

  async function cleanup() {
    setError(null);
    try {
      const ids = [...new Set(storages.map((s) => choice.targets[s]).filter((t): t is string => !!t))];
      setCleaned(await backend().migrateCleanup(ids));
      setPlan(null);
    } catch (e) {
      setError(e as BackendError);
    }
  }

  function start() {
    const opts = migrateOptions(choice, storages);
    if (!plan || typeof opts === "string") return;
    const id = choice.deployment;
    jobs.start("migrate", `Migration of ${plan.deployment} to ${plan.targets.map((t) => t.profile).join(", ")}`, (jobId, onEvent) => backend().startMigration(id, opts, jobId, onEvent));
    setPlan(null);
  }

  useEffect(() => stepRef.current?.scrollIntoView?.({ block: "start", behavior: "smooth" }), [plan, shown?.state]);

  return (
    <Wizard title="Migrate" steps={STEPS} step={step}>
      <SourceStep deployments={deployments} backups={ofDep} backup={backup} needScratch={needScratch} profiles={profiles} choice={choice} set={set} disabled={running} />
      <TargetsStep dep={dep} profiles={profiles} choice={choice} set={set} disabled={running} />
      {ontoItself.length > 0 && (
        <div className="field-error small" role="alert">✗ {ontoItself.join(", ")}: the target is the profile it is read from. Choose another database.</div>
      )}
      <div className="actions" style={{ marginTop: 0 }}>
        <button onClick={check} disabled={!chosen || checking || running || ontoItself.length > 0} data-testid="migrate-check">
          {checking && <span className="spinner" aria-hidden />} Check
        </button>
      </div>
      {error && (
        <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="migrate-error">
          {typeof error === "string" ? error : <><strong>{error.code}</strong> {error.message}</>}
        </div>
      )}
      {cleaned && (
        <div className="banner ok" role="status" data-testid="migrate-cleaned">
          {cleaned.length === 0 ? "Nothing was left on the targets." : <>Dropped: {cleaned.join(", ")}</>}
        </div>
      )}
      <div ref={stepRef} />
      {plan && !running && <ChecksStep plan={plan} onStart={start} onCleanup={cleanup} />}
      {shown && (
        <WizardRun job={shown} name="migrate" cancelTestId="cancel-migration" onCancel={() => jobs.cancel(shown.id)}>
          {(r, outcome) => <MigrateProof r={r} outcome={outcome} />}
        </WizardRun>
      )}
    </Wizard>
  );
}
