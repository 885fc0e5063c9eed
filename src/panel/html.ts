/** The inspector's HTML: strict CSP (default-src 'none', one nonce'd script), resources from the bundle only. */
export interface HtmlParts {
  cspSource: string;
  nonce: string;
  script: string;
  styles: string[];
}

export function makeNonce(random: () => number = Math.random): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(random() * chars.length)];
  return s;
}

export function csp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function inspectorHtml(p: HtmlParts): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${p.styles.map((s) => `<link rel="stylesheet" href="${attr(s)}">`).join('\n')}
<title>Gradient Inspector</title>
</head>
<body>
<main id="app" aria-label="Backprop Lens gradient inspector"><p class="empty">Loading…</p></main>
<script nonce="${attr(p.nonce)}" src="${attr(p.script)}"></script>
</body>
</html>`;
}
