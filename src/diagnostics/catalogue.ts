/**
 * The one catalogue of coded diagnostics. Every error a user can see is made here, so
 * codes stay unique and messages stay consistent. Codes: MD1xx load, MD2xx validation,
 * MD3xx render and cache, MD4xx command line.
 */
import type { Diagnostic, SourceLocation } from './diagnostic.ts';

type Where = SourceLocation & { song?: string; track?: string; frame?: string; path?: readonly (string | number)[] };

function error(code: string, where: Where, message: string, hint?: string): Diagnostic {
  return { code, severity: 'error', message, ...(hint ? { hint } : {}), ...where };
}

export const diagnostics = {
  songSyntax: (where: Where, detail: string) =>
    error('MD101', where, `song '${where.song}' could not be compiled: ${detail}`, 'fix the syntax error at the location shown'),
  songRuntime: (where: Where, detail: string) =>
    error('MD102', where, `song '${where.song}' threw while loading: ${detail}`, 'fix the error at the location shown; the other songs still build'),
  songNoExport: (where: Where) =>
    error('MD103', where, `song '${where.song}' has no default export`, "end the module with `export default defineSong({ … })`"),
  variantThrew: (where: Where, variant: string, detail: string) =>
    error('MD105', where, `variant '${variant}' of song '${where.song}' threw: ${detail}`, 'a variant is a pure function (song) => song; fix the error at the location shown'),
  songNotObject: (where: Where, got: string) =>
    error('MD104', where, `song '${where.song}' default export is ${got}, not a song`, 'export the object (or function) passed to defineSong'),
  heldBackByTypeErrors: (where: Where, count: number) =>
    error('MD106', where, `song '${where.song}' was not rebuilt: ${count} TypeScript error${count === 1 ? '' : 's'} in its files (its last good outputs stay)`, 'fix the errors shown above; `mixdown check` lists them too'),

  emptySong: (where: Where) =>
    error('MD201', where, `song '${where.song}' has no notes to render`, 'add a track with at least one note'),
  pitchOutOfRange: (where: Where, note: string, pitch: number) =>
    error('MD202', where, `track '${where.track}' ${note}: pitch ${pitch} is outside MIDI's 0–127`, "use a MIDI number 0–127 or a name from 'C-1' to 'G9'"),
  badPitch: (where: Where, note: string, pitch: unknown) =>
    error('MD203', where, `track '${where.track}' ${note}: ${JSON.stringify(pitch)} is not a pitch`, "write a name like 'C#3' or 'Bb4', or a MIDI number"),
  badLength: (where: Where, note: string, detail: string) =>
    error('MD204', where, `track '${where.track}' ${note}: length ${detail} is not positive`, "give every note a length greater than zero, e.g. '8n' or { ticks: 240 }"),
  negativeStart: (where: Where, note: string, detail: string) =>
    error('MD205', where, `track '${where.track}' ${note}: start ${detail} is before the song starts`, "positions count from '0:0:0'"),
  unknownOutput: (where: Where, channel: string, output: string, buses: readonly string[]) =>
    error('MD206', where, `${channel} outputs to unknown '${output}'`, `use 'master' or a bus: ${buses.join(', ') || '(no buses declared)'}`),
  unknownInstrument: (where: Where, plugin: string, known: readonly string[]) =>
    error('MD207', where, `track '${where.track}' uses instrument '${plugin}', which is not registered`, `built-in instruments: ${known.join(', ')}; a plugin must be imported by the song`),
  badVelocity: (where: Where, note: string, velocity: unknown) =>
    error('MD208', where, `track '${where.track}' ${note}: velocity ${JSON.stringify(velocity)} is outside 1–127`, 'use a whole number from 1 to 127'),
  badTime: (where: Where, what: string, value: unknown, detail: string) =>
    error('MD209', where, `${what}: ${JSON.stringify(value)} is not a time (${detail})`, "write '1:2:0' (bars:beats:ticks), '8n', { beats: 2 }, { ticks: 480 } or { bars: 1 }"),
  badTempo: (where: Where, tempo: unknown) =>
    error('MD210', where, `song '${where.song}' tempo ${JSON.stringify(tempo)} is not a tempo`, 'give tempo in BPM, between 1 and 999'),
  badMeter: (where: Where, meter: unknown) =>
    error('MD211', where, `song '${where.song}' meter ${JSON.stringify(meter)} is not a time signature`, 'write it as [4, 4], [3, 4], [6, 8]…: a whole numerator and a power-of-two denominator'),
  badTrackId: (where: Where, id: string) =>
    error('MD212', where, `song '${where.song}' has a track id '${id}' that cannot name a file`, 'use letters, digits, - and _ (starting with a letter or digit)'),
  badNumber: (where: Where, what: string, value: unknown, range: string) =>
    error('MD213', where, `${what} is ${JSON.stringify(value)}, expected ${range}`, `give a number ${range}`),
  unknownOption: (where: Where, plugin: string, option: string, known: readonly string[]) =>
    error('MD214', where, `track '${where.track}': instrument '${plugin}' has no option '${option}'`, `its options are: ${known.join(', ')}`),
  badSampleRate: (where: Where, rate: unknown) =>
    error('MD215', where, `song '${where.song}' sample rate ${JSON.stringify(rate)} is not supported`, 'use 44100, 48000, 88200 or 96000'),
  badTitle: (where: Where) =>
    error('MD216', where, `song '${where.song}' has no title`, "add title: 'My Song'"),
  badOptionValue: (where: Where, plugin: string, option: string, detail: string) =>
    error('MD217', where, `track '${where.track}': instrument '${plugin}' ${option ? `option '${option}' ${detail}` : detail}`, 'see the option’s doc comment for its range'),

  badTempoMap: (where: Where, detail: string) =>
    error('MD218', where, `song '${where.song}' tempo map ${detail}`, "write tempo: [{ at: '0:0:0', bpm: 120 }, { at: '8:0:0', bpm: 90, ramp: 'linear' }, …]"),
  unknownSection: (where: Where, section: string, known: readonly string[]) =>
    error('MD219', where, `${where.track ? `track '${where.track}' has a part for` : `song '${where.song}' form names`} unknown section '${section}'`, known.length ? `sections: ${known.join(', ')}` : 'declare sections: { verse: 8, … }'),
  badSection: (where: Where, section: string, value: unknown) =>
    error('MD220', where, `song '${where.song}' section '${section}' is ${JSON.stringify(value)} bars`, 'give each section a whole number of bars, at least 1'),
  badVariantName: (where: Where, name: string) =>
    error('MD221', where, `song '${where.song}' has a variant '${name}' that cannot name a folder`, "use letters, digits, - and _ (and not 'stems')"),
  badKey: (where: Where, key: unknown) =>
    error('MD222', where, `song '${where.song}' key ${JSON.stringify(key)} is not a key`, "write it like 'A minor', 'Eb major' or 'D dorian'"),
  badDawproject: (where: Where, path: string, detail: string) =>
    error('MD237', where, `DAWproject '${path}' cannot be imported: ${detail}`, 'give a .dawproject file (a zip with project.xml) as Bitwig, Studio One or Cubase export it'),
  badMidiFile: (where: Where, path: string, detail: string) =>
    error('MD223', where, `MIDI file '${path}' cannot be used: ${detail}`, 'check the path (relative to the song file) and that it is a Standard MIDI File'),

  badBusId: (where: Where, id: string) =>
    error('MD225', where, `song '${where.song}' has a bus id '${id}' that cannot name a file`, 'use letters, digits, - and _ (starting with a letter or digit)'),
  sendToTrack: (where: Where, channel: string, to: string) =>
    error('MD226', where, `${channel} sends to '${to}', which is a track`, 'sends and outputs go to buses: declare it in `buses` and route tracks into it'),
  routingCycle: (where: Where, path: readonly string[]) =>
    error('MD227', where, `song '${where.song}' routing has a cycle: ${path.join(' → ')}`, 'a channel cannot feed (by output, send or sidechain) anything that feeds it'),
  sidechainDownstream: (where: Where, channel: string, slot: string, from: string, path: readonly string[]) =>
    error('MD228', where, `${channel} effect '${slot}' keys from '${from}', which ${from === path[0] ? 'is itself' : `is downstream of it (${path.join(' → ')})`}`, 'key from a track or bus that does not receive this channel’s audio'),
  unknownSidechain: (where: Where, channel: string, slot: string, from: string, known: readonly string[]) =>
    error('MD229', where, `${channel} effect '${slot}' keys from unknown '${from}'`, `key from a track or bus: ${known.join(', ')}`),
  unknownEffect: (where: Where, channel: string, plugin: string, known: readonly string[]) =>
    error('MD230', where, `${channel} uses effect '${plugin}', which is not registered`, `built-in effects: ${known.join(', ')}; a plugin must be imported by the song`),
  badEffect: (where: Where, channel: string, slot: string, detail: string) =>
    error('MD231', where, `${channel} effect '${slot}' ${detail}`, 'see the option’s doc comment for its range'),
  badAutomation: (where: Where, channel: string, target: string, detail: string) =>
    error('MD232', where, `${channel} automation '${target}' ${detail}`, "targets: 'gain', 'pan', 'send.<bus>', 'fx.<slot id>.<option>', 'instrument.<option>'"),
  unknownSend: (where: Where, channel: string, to: string, buses: readonly string[]) =>
    error('MD233', where, `${channel} sends to unknown bus '${to}'`, `send to a bus: ${buses.join(', ') || '(no buses declared)'}`),
  duplicateChannel: (where: Where, id: string) =>
    error('MD234', where, `song '${where.song}' has a track and a bus both called '${id}'`, 'give the bus another id (stems and bus stems must not collide)'),
  badEffectFile: (where: Where, channel: string, slot: string, path: string, detail: string) =>
    error('MD235', where, `${channel} effect '${slot}' cannot read '${path}': ${detail}`, 'give a WAV file, with its path from the project root'),
  badInstrumentFile: (where: Where, plugin: string, path: string, detail: string) =>
    error('MD236', where, `track '${where.track}': instrument '${plugin}' cannot read '${path}': ${detail}`, 'check the path (from the project root) and that the file is a readable WAV, AIFF, FLAC, MP3, OGG or SF2'),
  effectThrew: (where: Where, channel: string, plugin: string, detail: string) =>
    error('MD303', where, `${channel}: effect '${plugin}' failed while rendering: ${detail}`, 'this is a bug in the effect plugin; fix it or bypass the slot'),

  missedLoudness: (where: Where, label: string, integrated: number | null, truePeak: number | null, target: { integrated: number; tolerance: number; ceilingDb: number }) =>
    error('MD310', where, `master of '${label}' misses its delivery target: ${integrated ?? '-inf'} LUFS and ${truePeak ?? '-inf'} dBTP against ${target.integrated} ± ${target.tolerance} LUFS under ${target.ceilingDb} dBTP`, 'check the limiter and the loudness settings; report.json has the figures'),
  masterClips: (where: Where, label: string, peakDb: number) =>
    error('MD311', where, `master of '${label}' clips (sample peak ${peakDb} dBFS)`, 'set master.ceiling below 0 or a loudness target with a limiter'),
  badReference: (where: Where, path: string, detail: string) =>
    error('MD224', where, `song '${where.song}' master reference '${path}' cannot be used: ${detail}`, 'give a WAV file, with its path from the project root'),
  referenceChanged: (where: Where, path: string) =>
    error('MD312', where, `reference '${path}' changed while the song was building`, 'build again'),
  instrumentThrew: (where: Where, plugin: string, detail: string) =>
    error('MD301', where, `track '${where.track}': instrument '${plugin}' failed while rendering: ${detail}`, 'this is a bug in the instrument; report it with the song'),
  cacheCorrupt: (where: Where, digest: string) =>
    ({ ...error('MD302', where, `cache object ${digest.slice(0, 12)}… failed its digest check and was discarded`, 'it will be re-rendered; nothing to do'), severity: 'warning' as const }),
  remoteUnusable: (url: string, doing: string, detail: string) =>
    ({ ...error('MD320', { file: url }, `remote cache ${url}: ${doing} failed (${detail}); this build renders and stores locally only`, 'check that the cache server is up and reachable; the build itself is not affected'), severity: 'warning' as const }),
  remoteBadObject: (url: string, digest: string, detail: string) =>
    ({ ...error('MD321', { file: url }, `remote cache object ${digest.slice(0, 12)}… was rejected: ${detail}`, 'it was not stored and its task renders locally; the server holds a damaged or tampered object (delete it there)'), severity: 'warning' as const }),
  badRemoteEntry: (url: string, key: string, detail: string) =>
    ({ ...error('MD322', { file: url }, `remote cache entry ${key.slice(0, 12)}… cannot be used: ${detail}`, 'its task renders locally; the entry was written by another tool or is damaged'), severity: 'warning' as const }),
  mustRender: (where: Where, unit: string, tasks: readonly string[]) =>
    error('MD323', where, `${unit}: ${tasks.length} task${tasks.length === 1 ? '' : 's'} would render under --require-cached (${tasks.join(', ')})`, 'a shard did not build it, or the remote cache lost it: check the shard jobs and the cache server'),

  unknownSong: (name: string, known: readonly string[]) =>
    error('MD401', { file: 'songs' }, `no song named '${name}'`, known.length ? `songs here: ${known.join(', ')}` : 'create songs/<name>/song.ts'),
  badFlag: (flag: string, detail: string) => error('MD402', { file: '(command line)' }, `${flag}: ${detail}`, 'run `mixdown help`'),
  cannotServe: (address: string, detail: string) =>
    error('MD409', { file: '(command line)' }, `watch --serve cannot listen on ${address}: ${detail}`, 'pick another port with --port N (0 for any free one), or stop what holds this one'),
  badConfig: (file: string, detail: string, hint: string) => error('MD325', { file }, `project config: ${detail}`, hint),
  noLock: () => error('MD406', { file: 'mixdown.lock' }, 'no mixdown.lock to verify against', 'run mixdown build, commit mixdown.lock, then verify'),
  unreadableAudio: (detail: string) =>
    error('MD405', { file: '(command line)' }, `cannot analyse: ${detail}`, 'give WAV, AIFF, FLAC, MP3, AAC or Ogg files that exist'),
  unknownVariant: (song: string, variant: string, known: readonly string[]) =>
    error('MD404', { file: `songs/${song}/song.ts`, song }, `song '${song}' has no variant '${variant}'`, `its variants: ${known.join(', ')}`),
  initNotEmpty: (dir: string, entries: readonly string[]) =>
    error('MD408', { file: dir }, `${dir} is not empty (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}): init writes a new project only into an empty folder`, 'name a new folder (`mixdown init my-songs`), or pass --force to write over the files init makes'),
  unknownRevision: (revision: string, detail: string) =>
    error('MD420', { file: '(command line)' }, `diff: '${revision}' is not a revision, an output folder or a lock file (${detail})`, 'give a git revision (HEAD~1, main, a commit), a folder of build outputs or a mixdown.lock file'),
  songMissingOnSide: (song: string, side: string, present: string) =>
    error('MD421', { file: `songs/${song}/song.ts`, song }, `diff: song '${song}' is not in ${side} (it is in ${present})`, 'name songs that exist on both sides, or leave the song out to see it listed as added or removed'),
  songFailsAtRevision: (song: string, side: string, cause: { code: string; message: string; file: string }) =>
    error('MD422', { file: cause.file, song }, `diff: song '${song}' does not build at ${side}: ${cause.code} ${cause.message}`, 'fix the song at that revision, or compare other revisions; the cause is listed above'),
  diffNeedsGit: (root: string, detail: string) =>
    error('MD423', { file: root }, `diff: cannot read revisions here: ${detail}`, 'run mixdown diff inside a git repository (with git installed), or compare two output folders or two lock files'),
  diffSidesMismatch: (a: string, b: string) =>
    error('MD424', { file: '(command line)' }, `diff: cannot compare ${a} with ${b}`, 'compare two revisions (or a revision and the working tree), two output folders, or two lock files'),
  noSongs: (dir: string) =>
    error('MD403', { file: dir }, `no songs found in ${dir}`, 'create songs/<name>/song.ts with `export default defineSong({ … })`'),
} as const;
