import { render } from 'preact';
import { loadConfusables } from '../untrusted-text.tsx';
import { Console } from './console.tsx';
import { keepForOffline } from './offline.ts';
import '../styles.css';
import './console.css';

// Look-alike characters are marked from the first screen; the table is cached for offline use with the rest.
void loadConfusables().finally(() => void keepForOffline());
const root = document.getElementById('root')!;
root.textContent = ''; // the static "Loading…" of the shell
render(<Console />, root);
