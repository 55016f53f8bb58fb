const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

/** The login form: self-contained (inline style, no script, no external asset), like the built-in pages. */
export function loginHtml(options: { next: string; error?: string; notice?: string }): string {
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''
  const notice = options.notice ? `<p class="notice">${escapeHtml(options.notice)}</p>` : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · orgpulse</title>
<style>
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
  main { max-width: 26rem; margin: 12vh auto; background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 2rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  p.sub { color: #5b6475; margin: 0 0 1.4rem; }
  label { display: block; font-weight: 600; margin-bottom: .35rem; }
  input[type=password] { box-sizing: border-box; width: 100%; padding: .55rem .65rem; font: inherit; font-family: ui-monospace, monospace; border: 1px solid #b9c0cc; border-radius: 5px; }
  button { margin-top: 1rem; padding: .55rem 1.1rem; font: inherit; font-weight: 600; color: #fff; background: #2f5bd3; border: 0; border-radius: 5px; cursor: pointer; }
  .error { background: #fdecec; color: #a11b1b; border: 1px solid #f3c1c1; border-radius: 5px; padding: .5rem .7rem; }
  .notice { background: #eef4ff; border: 1px solid #c9d8fb; border-radius: 5px; padding: .5rem .7rem; }
  .help { color: #5b6475; font-size: .9rem; margin-top: 1.4rem; }
  code { font-family: ui-monospace, monospace; font-size: .85rem; background: #f0f2f5; padding: 0 .2rem; border-radius: 3px; }
</style>
</head>
<body>
<main>
<h1>orgpulse</h1>
<p class="sub">Sign in with the access token you were given.</p>
${error}${notice}
<form method="post" action="/login">
  <label for="token">Access token</label>
  <input id="token" name="token" type="password" autocomplete="off" autofocus required placeholder="opt_…">
  <input type="hidden" name="next" value="${escapeHtml(options.next)}">
  <button type="submit">Sign in</button>
</form>
<p class="help">A director's token shows their org; an admin token shows every org. An operator
creates one with <code>orgpulse tokens create --org EMAIL</code>. The session lasts until you sign
out, it expires, or the token is revoked.</p>
</main>
</body>
</html>
`
}

/** reloads `path` (a same-origin path, see safeNext) from this origin, so SameSite=Strict cookies go with it */
export function bounceHtml(path: string): string {
  const href = escapeHtml(path)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=${href}">
<title>orgpulse</title>
</head>
<body><p><a href="${href}">Continue to orgpulse</a></p></body>
</html>
`
}
