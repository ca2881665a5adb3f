/**
 * docs/privacy.md as readable text: headings, paragraphs (hard-wrapped lines joined), bullets and,
 * for tables, their rows as lines. Everything becomes DOM text (no HTML is produced from the file);
 * the emphasis marks of Markdown are dropped.
 */
const plain = (s: string) => s.replace(/\*\*|`/g, '').replace(/\[([^\]]+)\]\([^)]+\)/g, '$1');

export function NoticeText({ text }: { text: string }) {
  const blocks = text.split(/\n\s*\n/).map((b) => b.trim()).filter((b) => b !== '');
  return (
    <>
      {blocks.map((b, i) => {
        if (b.startsWith('#')) return <h3 key={i}>{plain(b.replace(/^#+\s*/, ''))}</h3>;
        const lines = b.split('\n');
        if (lines.every((l) => /^\s*([-*]|\d+\.)\s/.test(l) || /^\s{2,}/.test(l))) {
          const items: string[] = [];
          for (const l of lines) if (/^\s*([-*]|\d+\.)\s/.test(l)) items.push(l.replace(/^\s*([-*]|\d+\.)\s/, ''));
          else items[items.length - 1] += ' ' + l.trim();
          return (
            <ul key={i}>
              {items.map((t, j) => (
                <li key={j}>{plain(t)}</li>
              ))}
            </ul>
          );
        }
        if (lines[0]!.startsWith('|')) {
          const rows = lines.filter((l) => !/^\|[\s|:-]+\|$/.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => plain(c.trim())).join(' — '));
          return (
            <ul key={i} class="table-rows">
              {rows.map((r, j) => (
                <li key={j}>{r}</li>
              ))}
            </ul>
          );
        }
        return <p key={i}>{plain(lines.join(' '))}</p>;
      })}
    </>
  );
}
