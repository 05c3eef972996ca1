/**
 * Upload a component: deploy a new agent, or upgrade an existing one. Rendered only for callers with
 * agents.deploy; the server refuses the others' POSTs anyway (403).
 */
import { useState } from 'preact/hooks';
import { ApiError, type Api } from '../api.js';

function configLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export function DeployForm(props: { api: Api; upgradeOf?: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [config, setConfig] = useState('');
  const [language, setLanguage] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const upgrade = props.upgradeOf !== undefined;
  const id = upgrade ? 'upgrade' : 'deploy';

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!file || (!upgrade && !name.trim())) return;
    setBusy(true);
    setOutcome(null);
    try {
      const bytes = await file.arrayBuffer();
      const r = upgrade
        ? await props.api.upgrade(props.upgradeOf!, bytes, configLines(config), language.trim())
        : await props.api.deploy(bytes, name.trim(), version.trim(), configLines(config), language.trim());
      setOutcome({
        ok: true,
        text: `${r.agent.name} ${upgrade ? 'upgraded to' : 'deployed,'} version ${r.agent.version} (${r.agent.state})`,
      });
    } catch (err) {
      const text = err instanceof ApiError ? `${err.message}${err.hint ? ` — ${err.hint}` : ''} (${err.code})` : String(err);
      setOutcome({ ok: false, text });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="deploy"
      aria-label={upgrade ? `Upgrade ${props.upgradeOf}` : 'Deploy an agent'}
      onSubmit={submit}
      data-testid={`${id}-form`}
    >
      <h2>{upgrade ? 'Upgrade' : 'Deploy an agent'}</h2>
      <label for={`${id}-file`}>Component (.wasm)</label>
      <input
        id={`${id}-file`}
        type="file"
        accept=".wasm,application/wasm"
        onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
      />
      {!upgrade && (
        <>
          <label for={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <label for={`${id}-version`}>Version (optional)</label>
          <input id={`${id}-version`} value={version} onInput={(e) => setVersion((e.target as HTMLInputElement).value)} />
        </>
      )}
      <label for={`${id}-language`}>Source language (optional, e.g. rust)</label>
      <input id={`${id}-language`} value={language} onInput={(e) => setLanguage((e.target as HTMLInputElement).value)} />
      <label for={`${id}-config`}>Config, one key=value a line (optional)</label>
      <textarea id={`${id}-config`} rows={2} value={config} onInput={(e) => setConfig((e.target as HTMLTextAreaElement).value)} />
      <button type="submit" disabled={busy || !file}>
        {busy ? 'Working…' : upgrade ? 'Upgrade' : 'Deploy'}
      </button>
      {outcome && (
        <p class={outcome.ok ? 'ok' : 'error'} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
    </form>
  );
}
