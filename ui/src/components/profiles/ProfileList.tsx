// The profiles, listed to pick one (its kind, name and where it points), with
// the button for a new one.
import type { Profile } from "../../bindings";
import { KINDS, profileTarget } from "../../data/form";

export function ProfileList({ profiles, selected, loadError, onSelect, onNew }: {
  profiles: Profile[];
  selected: string | null;
  loadError: string | null;
  onSelect: (p: Profile) => void;
  onNew: () => void;
}) {
  return (
    <section className="list-pane" aria-label="Profiles">
      <header className="pane-header">
        <h1>Profiles</h1>
        <button className="primary small" onClick={onNew} data-testid="new-profile" title="New profile (Ctrl+N)">
          + New
        </button>
      </header>
      {loadError && <div className="banner error">{loadError}</div>}
      <ul className="profile-list" data-testid="profile-list">
        {profiles.map((p) => (
          <li key={p.id}>
            <button
              className={p.id === selected ? "profile-item active" : "profile-item"}
              onClick={() => onSelect(p)}
              data-testid={`profile-item-${p.name}`}
            >
              <span className={`kind-badge ${p.kind}`}>{KINDS.find((k) => k.id === p.kind)?.label.split(" ")[0]}</span>
              <span className="profile-name">{p.name}</span>
              <span className="profile-target muted">
                {profileTarget(p)}
              </span>
            </button>
          </li>
        ))}
        {profiles.length === 0 && !loadError && (
          <li className="muted pad">No profiles yet. Create one to reach a database.</li>
        )}
      </ul>
    </section>
  );
}
