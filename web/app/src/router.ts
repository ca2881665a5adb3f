import { useEffect, useState } from 'preact/hooks';

/** The app's pages live under /app/; navigation uses the History API (the gateway answers each page path with the shell). */
export function navigate(path: string, replace = false): void {
  const url = `/app${path}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(() => location.pathname.replace(/^\/app/, '') || '/');
  useEffect(() => {
    const on = () => setPath(location.pathname.replace(/^\/app/, '') || '/');
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}
