/**
 * SongIR → the plain data a DAWproject export is written from (src/io/dawproject.ts): the
 * tempo and meter maps, markers, channels with their routing, one note clip per section
 * occurrence, audio clips, and the fader and send automation (turned into the format's
 * points by the task, where curves are rendered). Plain data: the export task's key.
 */
import type { DawAudioClip, DawChannel, DawNoteClip, DawprojectParams } from '../io/dawproject.ts';
import type { AutomationIR, ChannelIR, SongIR, TrackIR } from '../ir/types.ts';
import { fromDb } from '../dsp/levels.ts';

/** The clip player's options (instruments/clips.ts), as far as an export reads them. */
interface PlayerClip {
  readonly file: string;
  readonly trimStart: number;
  readonly trimEnd: number;
  readonly fadeIn: number;
  readonly fadeOut: number;
  readonly gain: number;
  readonly loop: boolean;
  readonly toNoteEnd: boolean;
}

/** The export task's parameters. */
export interface DawprojectTaskParams {
  readonly project: DawprojectParams<PlannedAutomation>;
  /** Audio files of audio clips, embedded in the zip. */
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  /** Channel ids of the stems it reads, one per dependency, in order. */
  readonly stems: readonly string[];
}

/** A pan position −1…1 as the format's normalised 0…1. */
export const panToNormalized = (pan: number): number => (Math.max(-1, Math.min(1, pan)) + 1) / 2;

/** Automation as planned: mixdown's own, and which fader value it drives (the render turns it into the format's points). */
export interface PlannedAutomation {
  readonly automation: AutomationIR;
  /** `gain`: dB → linear gain; `pan`: −1…1 → 0…1. */
  readonly target: 'gain' | 'pan';
}

const planned = (automation: AutomationIR | null, target: PlannedAutomation['target']): PlannedAutomation | null => (automation ? { automation, target } : null);

/**
 * A track's notes cut into clips: one per section occurrence that has notes (named like its
 * marker, `verse 2`), and one for notes after the form. A song without sections is one clip.
 */
function noteClips(song: SongIR, track: TrackIR): DawNoteClip[] {
  const windows = song.sections.map((section) => ({ name: `${section.name} ${section.occurrence}`, start: section.startTick, end: section.endTick }));
  const formEnd = windows.length ? windows[windows.length - 1].end : 0;
  const lastNoteEnd = track.notes.reduce((end, note) => Math.max(end, note.startTick + note.lengthTicks), 0);
  if (windows.length === 0 || lastNoteEnd > formEnd) windows.push({ name: windows.length ? `${track.name} (after the form)` : track.name, start: formEnd, end: Math.max(song.lengthTicks, lastNoteEnd, formEnd + 1) });
  if (windows.length && windows[0].start > 0) windows.unshift({ name: `${track.name} (before the form)`, start: 0, end: windows[0].start });
  const clips: DawNoteClip[] = [];
  for (const window of windows) {
    const notes = track.notes
      .filter((note) => note.startTick >= window.start && note.startTick < window.end)
      .map((note) => ({ pitch: note.pitch, velocity: note.velocity, startTick: note.startTick - window.start, lengthTicks: note.lengthTicks }));
    if (notes.length) clips.push({ name: window.name, startTick: window.start, lengthTicks: window.end - window.start, notes });
  }
  return clips;
}

/** An audio track's clips: note i of the clip player plays clips[i]. */
function audioClips(track: TrackIR): DawAudioClip[] {
  const clips = (track.instrument.options as { clips?: readonly PlayerClip[] }).clips ?? [];
  return track.notes.flatMap((note) => {
    const clip = clips[note.pitch];
    if (!clip) return [];
    return [
      {
        file: clip.file,
        startSample: note.startSample,
        lengthSamples: clip.toNoteEnd ? note.lengthSamples : null,
        trimStart: clip.trimStart,
        trimEnd: clip.trimEnd,
        fadeIn: clip.fadeIn,
        fadeOut: clip.fadeOut,
        gainDb: clip.gain,
        loop: clip.loop && clip.toNoteEnd,
      },
    ];
  });
}

/** True for a track whose instrument is the clip player (`audioTrack`). */
export function isAudioTrack(track: TrackIR): boolean {
  return track.instrument.plugin === 'clip-player';
}

function describeSlot(slot: ChannelIR['effects'][number]): string {
  const parts: string[] = [];
  if (slot.id !== slot.plugin) parts.push(`slot ${slot.id}`);
  if (slot.mix !== 1) parts.push(`mix ${Math.round(slot.mix * 100)}%`);
  if (slot.sidechain) parts.push(`sidechain from ${slot.sidechain.from}${slot.sidechain.highpass ? ` (high-pass ${slot.sidechain.highpass} Hz)` : ''}`);
  return parts.join('; ');
}

export function dawprojectParams(song: SongIR, engine: string): DawprojectParams<PlannedAutomation> {
  const all: ChannelIR[] = [...song.tracks, ...song.buses];
  const channel = (source: ChannelIR, kind: 'track' | 'bus'): DawChannel<PlannedAutomation> => {
    const track = kind === 'track' ? (source as TrackIR) : null;
    const audio = track ? isAudioTrack(track) : false;
    return {
      id: source.id,
      kind,
      name: source.name,
      volume: fromDb(source.gainDb),
      pan: panToNormalized(source.pan),
      mute: source.mute,
      solo: source.solo === true,
      output: source.output,
      sends: source.sends.map((send) => ({ to: send.to, volume: fromDb(send.levelDb), pre: send.pre, automation: planned(send.automation, 'gain') })),
      devices: [
        ...(track && !audio ? [{ name: track.instrument.plugin, role: 'instrument' as const, comment: '' }] : []),
        ...source.effects.map((slot) => ({ name: slot.plugin, role: 'audioFX' as const, comment: describeSlot(slot) })),
      ],
      volumeAutomation: planned(source.gainAutomation, 'gain'),
      panAutomation: planned(source.panAutomation, 'pan'),
      noteClips: track && !audio ? noteClips(song, track) : [],
      midiChannel: track?.midiDrums ? 9 : 0,
      audioClips: track && audio ? audioClips(track) : [],
      // A bus fed only by sends is a return (an effect channel); one that anything outputs to is a group.
      returnOnly: kind === 'bus' && !all.some((other) => other.output === source.id),
    };
  };
  const master = song.master;
  const masterComment = [
    'The master chain runs in mixdown:',
    master.loudness ? `loudness ${master.loudness.target} LUFS, ceiling ${master.loudness.ceilingDb} dBTP` : `peak ceiling ${master.ceilingDb} dBFS`,
    master.eq.length ? `EQ (${master.eq.length} bands)` : '',
    master.compressor ? 'glue compressor' : '',
    master.multiband ? 'multiband' : '',
    master.width !== 1 ? `width ${master.width}` : '',
    master.limiter ? `limiter at ${master.limiter.ceilingDb} dB` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    title: song.title,
    key: `${song.key.tonic} ${song.key.mode}`,
    engine,
    file: song.file,
    sampleRate: song.sampleRate,
    ppq: song.ppq,
    lengthSamples: song.lengthSamples,
    tempo: song.tempoMap.map((point) => ({ tick: point.tick, bpm: point.bpm, ramp: point.rampToNext })),
    meters: song.meterMap.map((point) => ({ tick: point.tick, numerator: point.numerator, denominator: point.denominator })),
    markers: song.markers.map((marker) => ({ tick: marker.tick, name: marker.name })),
    channels: [...song.tracks.map((track) => channel(track, 'track')), ...song.buses.map((bus) => channel(bus, 'bus'))],
    masterComment,
  };
}

/** The audio files an export embeds (every audio clip's), with their content hashes: in the task's key. */
export function dawprojectFiles(song: SongIR): { readonly path: string; readonly sha256: string }[] {
  const files = new Map<string, string>();
  for (const track of song.tracks) if (isAudioTrack(track)) for (const file of track.instrument.files) files.set(file.path, file.sha256);
  return [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, sha256]) => ({ path, sha256 }));
}
