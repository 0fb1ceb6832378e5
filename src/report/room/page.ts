/**
 * The HTML of the room's pages: a shell holding the page data (room.json) and the bundled
 * browser code and styles, everything inline. The same shell serves any page kind the
 * browser entry knows (`data-page`), so a later page (a diff of two builds) is one more kind.
 */
import { roomAssets } from './bundle.ts';
import type { RoomData, RoomIndexEntry } from './types.ts';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
/** JSON or script text safe inside a <script> element. */
const scriptText = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/** A page of the room: `kind` tells the browser entry what to build from `data`. */
export async function renderShell(kind: string, title: string, data: unknown): Promise<string> {
  const { script, style } = await roomAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mixdown">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<main id="room" data-page="${escapeHtml(kind)}"><noscript>This page needs JavaScript to draw its plots and play audio.</noscript></main>
<script type="application/json" id="room-data">${scriptText(JSON.stringify(data))}</script>
<script>${scriptText(script)}</script>
</body>
</html>
`;
}

export function renderSongPage(data: RoomData): Promise<string> {
  const name = data.variant ? `${data.title} (${data.variant})` : data.title;
  return renderShell('song', `${name} — mixdown listening room`, data);
}

export function renderIndexPage(entries: readonly RoomIndexEntry[]): Promise<string> {
  return renderShell('index', 'mixdown listening room', entries);
}
