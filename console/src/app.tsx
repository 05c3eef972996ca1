/**
 * The console shell: without a token only the login page exists (nothing is fetched); with one it
 * asks whoami, opens the live stream once for every page, and routes by the URL's hash.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ConsoleMessageFilter, SniffedMessage, WhoAmI } from '@caxton/core';
import { Api, ApiError, forgetToken, saveToken, savedToken } from './api.js';
import { openStream } from './stream.js';
import { addMessages, emptyHistory, type History } from './model/history.js';
import { hrefOf, parseRoute, type Route } from './route.js';
import { LoginPage } from './pages/login.js';
import { AgentsPage } from './pages/agents.js';
import { AgentPage } from './pages/agent.js';
import { SnifferPage } from './pages/sniffer.js';
import { NodesPage } from './pages/nodes.js';
import { CostsPage } from './pages/costs.js';
import type { LiveState } from './model/live-state.js';

export function App() {
  const [token, setToken] = useState<string | null>(() => savedToken());
  const [me, setMe] = useState<WhoAmI | null>(null);
  const [loginError, setLoginError] = useState<string | undefined>();
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [filter, setFilter] = useState<ConsoleMessageFilter>({});
  const [paused, setPaused] = useState(false);
  const [live, setLive] = useState<LiveState>({ agents: [], nodes: new Map(), history: emptyHistory, pending: 0, status: 'connecting' });
  // Live messages are gathered outside React state and added once per animation frame: a burst
  // costs one layout, not one per message, and no message can be lost between two state updates.
  const incoming = useRef<SniffedMessage[]>([]);
  const waiting = useRef<SniffedMessage[]>([]); // arrived while paused
  const pausedRef = useRef(paused);
  const flushScheduled = useRef(false);

  const flush = useCallback(() => {
    flushScheduled.current = false;
    const batch = incoming.current;
    incoming.current = [];
    if (batch.length === 0) return;
    if (pausedRef.current) {
      waiting.current.push(...batch);
      const n = waiting.current.length;
      setLive((s) => ({ ...s, pending: n }));
    } else {
      setLive((s) => ({ ...s, history: addMessages(s.history, batch) }));
    }
  }, []);

  useEffect(() => {
    const onHash = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const logOut = useCallback((why?: string) => {
    forgetToken();
    setToken(null);
    setMe(null);
    setLoginError(why);
  }, []);

  // Who am I: proves the token before anything else is shown.
  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    new Api(token)
      .whoami()
      .then((w) => {
        if (!cancelled) setMe(w);
      })
      .catch((e: unknown) => {
        if (cancelled) return;
        logOut(
          e instanceof ApiError && e.status === 401
            ? 'The server refused that token.'
            : `Could not reach the node: ${(e as Error).message}`,
        );
      });
    return () => {
      cancelled = true;
    };
  }, [token, logOut]);

  // The first table before the stream's first agents event (2 s later).
  useEffect(() => {
    if (!token || !me) return;
    new Api(token)
      .agents()
      .then((r) => setLive((s) => ({ ...s, agents: r.agents })))
      .catch(() => undefined);
  }, [token, me]);

  // One live stream, re-opened when the sniffer's filter changes.
  useEffect(() => {
    if (!token || !me) return;
    return openStream(token, filter, {
      onStatus: (status) => setLive((s) => ({ ...s, status })),
      onEvent: (e) => {
        if (e.kind === 'agents') setLive((s) => ({ ...s, agents: e.data.agents }));
        else if (e.kind === 'node') setLive((s) => ({ ...s, nodes: new Map(s.nodes).set(e.data.id, e.data) }));
        else if (e.kind === 'sampled') setLive((s) => ({ ...s, sampled: { ...e.data, at: Date.now() } }));
        else if (e.kind === 'message') {
          incoming.current.push(e.data);
          if (!flushScheduled.current) {
            flushScheduled.current = true;
            requestAnimationFrame(flush);
          }
        }
      },
    });
  }, [token, me, filter, flush]);

  // Resuming adds what waited; pausing only stops the additions.
  useEffect(() => {
    pausedRef.current = paused;
    if (paused || waiting.current.length === 0) return;
    const waited = waiting.current;
    waiting.current = [];
    setLive((s) => ({ ...s, history: addMessages(s.history, waited), pending: 0 }));
  }, [paused]);

  const changeFilter = useCallback((f: ConsoleMessageFilter) => {
    setFilter(f);
    incoming.current = [];
    waiting.current = [];
    setLive((s) => ({ ...s, history: emptyHistory, pending: 0 }));
  }, []);

  const addOlder = useCallback((older: History['messages']) => {
    setLive((s) => ({ ...s, history: addMessages(s.history, older) }));
  }, []);

  if (!token || !me) {
    return (
      <LoginPage
        checking={token !== null}
        error={loginError}
        onLogin={(t) => {
          saveToken(t);
          setLoginError(undefined);
          setToken(t);
        }}
      />
    );
  }
  const api = new Api(token);
  const nav: { route: Route; label: string }[] = [
    { route: { page: 'agents' }, label: 'Agents' },
    { route: { page: 'sniffer' }, label: 'Sniffer' },
    { route: { page: 'nodes' }, label: 'Nodes' },
    { route: { page: 'costs' }, label: 'Costs' },
  ];
  const current = route.page === 'agent' ? 'agents' : route.page;
  return (
    <div class="shell">
      <a class="skip" href="#content">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Caxton console</span>
        <nav aria-label="Pages">
          {nav.map((n) => (
            <a key={n.label} href={hrefOf(n.route)} aria-current={current === n.route.page ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="whoami">
          node <strong>{me.node.id}</strong>
          {me.node.cluster ? ` · cluster ${me.node.cluster}` : ''} · role <strong data-testid="role">{me.role}</strong> ·{' '}
          <span class={`status status-${live.status}`} role="status">
            {live.status}
          </span>
        </span>
        <button type="button" onClick={() => logOut()}>
          Log out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {route.page === 'agents' && <AgentsPage api={api} permissions={me.permissions} agents={live.agents} />}
        {route.page === 'agent' && (
          <AgentPage api={api} permissions={me.permissions} name={route.name} row={live.agents.find((a) => a.name === route.name)} />
        )}
        {route.page === 'sniffer' && (
          <SnifferPage
            api={api}
            live={live}
            agents={live.agents}
            filter={filter}
            onFilter={changeFilter}
            paused={paused}
            onPause={setPaused}
            onOlder={addOlder}
          />
        )}
        {route.page === 'nodes' && <NodesPage api={api} agents={live.agents} live={live.nodes} />}
        {route.page === 'costs' && <CostsPage api={api} agents={live.agents} />}
      </main>
    </div>
  );
}
