/** The only page a visitor without a token sees: it asks for the token and shows no node data. */
import { useState } from 'preact/hooks';

export function LoginPage(props: { checking: boolean; error: string | undefined; onLogin(token: string): void }) {
  const [token, setToken] = useState('');
  return (
    <main class="login" id="content">
      <h1>Caxton console</h1>
      <form
        aria-label="Log in"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) props.onLogin(token.trim());
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          autoFocus
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby="token-help"
        />
        <p id="token-help" class="help">
          The admin or read-only token of the node's API: <code>caxton serve</code> prints the files that hold them. It is kept in this
          tab's session storage only.
        </p>
        <button type="submit" disabled={props.checking}>
          {props.checking ? 'Checking…' : 'Log in'}
        </button>
        {props.error && (
          <p class="error" role="alert">
            {props.error}
          </p>
        )}
      </form>
    </main>
  );
}
