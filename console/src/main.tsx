/** Entry point of the bundle: mounts the console into <main id="app"> of index.html. */
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root) render(<App />, root);
