/**
 * DAWproject export, read back by independent readers: the zip by JSZip, project.xml by
 * openDAW's DAWproject schema classes (@opendaw/lib-dawproject over @xmldom/xmldom's
 * DOMParser) and by fast-xml-parser, and every element and attribute checked against the
 * names of the DAWproject 1.0 schema (tests/fixtures/dawproject-1.0-names.json, derived
 * from the format's Project.xsd and MetaData.xsd by tests/helpers/xsd-names.ts).
 */
import { DOMParser } from '@xmldom/xmldom';
import { XMLParser } from 'fast-xml-parser';
import JSZip from 'jszip';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elaborate } from '../src/elaborate/elaborate.ts';
import type { SongIR } from '../src/ir/types.ts';
import { encodeWavPcm } from '../src/io/wav.ts';
import { dawprojectParams } from '../src/plan/dawproject.ts';
import { automationPoints } from '../src/render/dawproject-export.ts';
import { importDawproject } from '../src/cli/import-dawproject.ts';
import { verify } from '../src/pipeline/verify.ts';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { REPO_ROOT } from './helpers/project.ts';
import { TempoClock } from '../src/theory/time.ts';
import { synth } from '../src/instruments/index.ts';
import type { SchemaNames } from './helpers/xsd-names.ts';
import { createProject, type TestProject } from './helpers/project.ts';

// openDAW's XML layer parses with the browser's DOMParser; Node has none, so xmldom's stands in.
(globalThis as { DOMParser?: unknown }).DOMParser ??= DOMParser;
const { ProjectSchema } = await import('@opendaw/lib-dawproject');
const { Xml } = await import('@opendaw/lib-xml');

const NAMES = JSON.parse(readFileSync(new URL('./fixtures/dawproject-1.0-names.json', import.meta.url), 'utf8')) as SchemaNames;

const SONG = `
import { audioTrack, clip, defineSong, drums, ducker, GM_DRUMS, grid, point, reverb, synth } from 'mixdown';

export default defineSong({
  title: 'Round & Trip',
  tempo: [{ at: '0:0:0', bpm: 100 }, { at: '2:0:0', bpm: 100, ramp: 'linear' }, { at: '4:0:0', bpm: 120 }],
  meter: [{ bar: 0, meter: [4, 4] }, { bar: 4, meter: [3, 4] }],
  key: 'A minor',
  sections: { intro: 2, verse: 2, end: 2 },
  form: ['intro', 'verse', 'verse', 'end'],
  tail: 0.2,
  tracks: {
    kick: {
      instrument: drums(),
      output: 'drums',
      parts: { intro: grid('x...x...', GM_DRUMS.kick, { step: '8n' }), verse: grid('x.x.x...', GM_DRUMS.kick, { step: '8n' }), end: grid('x.....', GM_DRUMS.kick, { step: '8n' }) },
    },
    bass: {
      instrument: synth({ wave: 'saw' }),
      gain: -4,
      pan: -0.3,
      effects: [ducker({ amount: 6 }, { sidechain: { from: 'kick', highpass: 60 } })],
      sends: [{ to: 'verb', level: -12, pre: true }],
      automation: {
        gain: [point('0:0:0', -12), point('2:0:0', -4, 'curve', 2)],
        pan: [point('0:0:0', -0.3), point('4:0:0', 0.3)],
        'send.verb': [point('0:0:0', -20), point('4:0:0', -8, 'step')],
      },
      parts: {
        verse: [
          { pitch: 'A1', start: '0:0:0', length: { ticks: 1234 }, velocity: 77 },
          { pitch: 'C2', start: { ticks: 1921 }, length: '8n', velocity: 101 },
        ],
        'verse@2': [{ pitch: 'E2', start: '1:0:0', length: '4n', velocity: 127 }],
      },
    },
    pad: { instrument: synth({ wave: 'triangle' }), mute: true, sends: [{ to: 'verb', level: -6 }], notes: [{ pitch: 'A3', start: '0:0:0', length: '2m', velocity: 1 }] },
    vox: audioTrack([clip('takes/vox.wav', '1:0:0', { trimStart: 0.05, fadeIn: 0.01, gain: -3 }), clip('takes/vox.wav', '5:0:0', { loop: true, length: '1m' })], { gain: -2 }),
  },
  buses: {
    drums: { gain: -2 },
    verb: { effects: [reverb({ decay: 1 })] },
  },
});
`;

/** A short mono 16-bit take at 44.1 kHz (not the song's rate, so the clip's own rate shows). */
function voxTake(): Uint8Array {
  const samples = new Float32Array(22050);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 330 * i) / 44100);
  return encodeWavPcm([samples], 44100, 16);
}

type Element = { tag: string; attrs: Record<string, string>; children: Element[] };

/** project.xml as a plain tree (fast-xml-parser, order kept). */
function tree(xml: string): Element {
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false });
  const convert = (node: Record<string, unknown>): Element | null => {
    const tag = Object.keys(node).find((key) => key !== ':@');
    if (!tag || tag === '#text' || tag === '?xml') return null;
    const children = (node[tag] as Record<string, unknown>[]).map(convert).filter((child): child is Element => child !== null);
    return { tag, attrs: (node[':@'] as Record<string, string>) ?? {}, children };
  };
  const nodes = (parser.parse(xml) as Record<string, unknown>[]).map(convert).filter((node): node is Element => node !== null);
  return nodes[0];
}

const all = (root: Element): Element[] => [root, ...root.children.flatMap(all)];

/** Every element, attribute, required attribute and enumerated value against the schema's names. */
function schemaProblems(root: Element): string[] {
  const problems: string[] = [];
  const check = (node: Element, type: string, path: string): void => {
    const definition = NAMES.types[type];
    if (!definition) {
      if (node.children.length || Object.keys(node.attrs).length) problems.push(`${path}: simple type ${type} with content`);
      return;
    }
    if (definition.abstract) problems.push(`${path}: abstract type ${type}`);
    for (const [name, value] of Object.entries(node.attrs)) {
      const attribute = definition.attributes[name];
      if (!attribute) {
        problems.push(`${path}: attribute '${name}' is not in ${type}`);
        continue;
      }
      const enumName = attribute.type.replace(/^list:/, '');
      const values = attribute.type.startsWith('list:') ? value.split(' ') : [value];
      if (NAMES.enums[enumName]) for (const item of values) if (!NAMES.enums[enumName].includes(item)) problems.push(`${path}@${name}: '${item}' is not one of ${NAMES.enums[enumName].join(', ')}`);
      if (attribute.type === 'xs:boolean' && !['true', 'false'].includes(value)) problems.push(`${path}@${name}: '${value}' is not a boolean`);
      if ((attribute.type === 'xs:int' || attribute.type === 'xs:double') && !Number.isFinite(Number(value))) problems.push(`${path}@${name}: '${value}' is not a number`);
    }
    for (const [name, attribute] of Object.entries(definition.attributes)) if (attribute.required && !(name in node.attrs)) problems.push(`${path}: required attribute '${name}' missing`);
    for (const child of node.children) {
      const childType = definition.children[child.tag];
      if (!childType) problems.push(`${path}: element <${child.tag}> is not a child of ${type}`);
      else check(child, childType, `${path}/${child.tag}`);
    }
  };
  check(root, NAMES.elements[root.tag] ?? '?', root.tag);
  return problems;
}

describe('DAWproject export', () => {
  let project: TestProject;
  let zipBytes: Buffer;
  let zip: JSZip;
  let xml: string;
  let ir: SongIR;
  let parsed: InstanceType<typeof ProjectSchema>;

  beforeAll(async () => {
    project = createProject({ songs: { rt: SONG } });
    project.write('takes/.keep', '');
    const vox = voxTake();
    project.write('takes/vox.wav', '');
    (await import('node:fs')).writeFileSync(`${project.root}/takes/vox.wav`, vox);
    const result = await project.build({ dawproject: true });
    expect(result.diagnostics).toEqual([]);
    expect(result.songs.flatMap((song) => song.diagnostics)).toEqual([]);
    ir = result.songs[0].ir!;
    zipBytes = project.bytes('dist/rt/rt.dawproject');
    zip = await JSZip.loadAsync(zipBytes);
    xml = await zip.file('project.xml')!.async('string');
    parsed = Xml.parse(xml, ProjectSchema);
  }, 120_000);
  afterAll(() => project?.dispose());

  it('is a zip of project.xml, metadata.xml and the audio it references, in a fixed order and time', async () => {
    const names = Object.keys(zip.files);
    expect(names).toEqual([
      'project.xml',
      'metadata.xml',
      'audio/stems/kick.wav',
      'audio/stems/bass.wav',
      'audio/stems/pad.wav',
      'audio/stems/vox.wav',
      'audio/buses/drums.wav',
      'audio/buses/verb.wav',
      'audio/clips/takes/vox.wav',
    ]);
    for (const name of names) expect(zip.files[name].date.getTime(), name).toBe(new Date(1980, 0, 1).getTime());
    // Python's zipfile checks every entry's CRC-32 and reads the headers on its own.
    const python = spawnSync('python3', ['-c', 'import json, sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(json.dumps([z.testzip(), [[i.filename, list(i.date_time), i.compress_type] for i in z.infolist()]]))', `${project.root}/dist/rt/rt.dawproject`], { encoding: 'utf8' });
    expect(python.status, python.stderr).toBe(0);
    const [bad, infos] = JSON.parse(python.stdout) as [string | null, [string, number[], number][]];
    expect(bad).toBeNull();
    expect(infos.map(([name, date, method]) => [name, date.join('-'), method])).toEqual(names.map((name) => [name, '1980-1-1-0-0-0', name.endsWith('.xml') ? 8 : 0]));
    // Each stem in the project is the build's stem, byte for byte; the take is the file itself.
    for (const id of ['kick', 'bass', 'pad', 'vox']) expect(Buffer.from(await zip.file(`audio/stems/${id}.wav`)!.async('uint8array')).equals(project.bytes(`dist/rt/stems/${id}.wav`)), id).toBe(true);
    expect(Buffer.from(await zip.file('audio/buses/verb.wav')!.async('uint8array')).equals(project.bytes('dist/rt/buses/verb.wav'))).toBe(true);
    expect(Buffer.from(await zip.file('audio/clips/takes/vox.wav')!.async('uint8array')).equals(project.bytes('takes/vox.wav'))).toBe(true);
    // Every file path project.xml names is in the zip.
    for (const file of all(tree(xml)).filter((node) => node.tag === 'File')) expect(names).toContain(file.attrs.path);
  });

  it('uses only the element and attribute names of the DAWproject 1.0 schema', async () => {
    expect(schemaProblems(tree(xml))).toEqual([]);
    const metadata = await zip.file('metadata.xml')!.async('string');
    expect(schemaProblems(tree(metadata))).toEqual([]);
    const meta = tree(metadata);
    expect(meta.tag).toBe('MetaData');
    const parser = new XMLParser();
    const values = parser.parse(metadata).MetaData as Record<string, string>;
    expect(values.Title).toBe('Round & Trip');
    expect(values.Comment).toContain('Key: A minor');
    expect(values.Comment).toContain('100 BPM');
  });

  it('round-trips the tempo map (ramps as linear points), meters and markers', () => {
    expect(parsed.transport?.tempo?.value).toBe(100);
    expect(parsed.transport?.timeSignature).toMatchObject({ numerator: 4, denominator: 4 });
    const tempo = parsed.arrangement!.tempoAutomation!;
    expect(tempo.unit).toBe('bpm');
    expect((tempo.points as any[]).map((point) => [Number(point.time), point.value, point.interpolation])).toEqual([
      [0, 100, 'hold'],
      [8, 100, 'linear'],
      [16, 120, 'hold'],
    ]);
    expect((tempo.points as any[]).map((point) => Math.round(Number(point.time) * 960))).toEqual(ir.tempoMap.map((point) => point.tick));
    const meters = all(tree(xml)).filter((node) => node.tag === 'TimeSignaturePoint');
    expect(meters.map((node) => [Number(node.attrs.time) * 960, node.attrs.numerator, node.attrs.denominator])).toEqual(ir.meterMap.map((meter) => [meter.tick, String(meter.numerator), String(meter.denominator)]));
    // openDAW's schema reads no Marker children (its Markers class lists them under another name): read them from the tree.
    const markers = all(tree(xml)).filter((node) => node.tag === 'Marker');
    expect(markers.map((node) => [node.attrs.name, Math.round(Number(node.attrs.time) * 960)])).toEqual(ir.markers.map((marker) => [marker.name, marker.tick]));
    expect(markers.map((node) => node.attrs.name)).toEqual(['intro 1', 'verse 1', 'verse 2', 'end 1']);
  });

  it('round-trips routing: outputs, group and return buses, sends with levels and pre/post, mute, sidechains', () => {
    const tracks = new Map(parsed.structure.map((track) => [(track as { name?: string }).name, track as any]));
    const channelOf = (name: string) => tracks.get(name)!.channel;
    const idOf = (name: string) => channelOf(name).id as string;
    expect([...tracks.keys()]).toEqual(['kick', 'bass', 'pad', 'vox', 'drums', 'verb', 'Master', 'Stems (rendered by mixdown)']);
    expect(channelOf('kick').destination).toBe(idOf('drums'));
    expect(channelOf('bass').destination).toBe(idOf('Master'));
    expect(channelOf('drums')).toMatchObject({ role: 'submix', destination: idOf('Master') });
    expect(channelOf('verb').role).toBe('effect');
    expect(channelOf('Master').role).toBe('master');
    expect(channelOf('bass').volume.value).toBeCloseTo(10 ** (-4 / 20), 12);
    expect(channelOf('bass').volume.unit).toBe('linear');
    expect(channelOf('bass').pan).toMatchObject({ unit: 'normalized', value: 0.35 });
    expect(channelOf('bass').sends).toEqual([expect.objectContaining({ destination: idOf('verb'), type: 'pre', volume: expect.objectContaining({ value: 10 ** (-12 / 20), unit: 'linear' }) })]);
    expect(channelOf('pad').sends[0]).toMatchObject({ destination: idOf('verb'), type: 'post' });
    const mute = (name: string) => all(tree(xml)).find((node) => node.tag === 'Channel' && node.attrs.id === idOf(name))!.children.find((child) => child.tag === 'Mute')!.attrs.value;
    expect([mute('pad'), mute('bass')]).toEqual(['true', 'false']);
    // The format has no sidechain routing: the keyed insert names its key.
    const ducker = all(tree(xml)).find((node) => node.tag === 'BuiltinDevice' && node.attrs.deviceName === 'ducker')!;
    expect(ducker.attrs).toMatchObject({ deviceRole: 'audioFX', comment: 'sidechain from kick (high-pass 60 Hz)' });
    expect(tracks.get('kick')!.contentType).toBe('notes');
    expect(tracks.get('vox')!.contentType).toBe('audio');
  });

  it('writes one note clip per section occurrence with exact ticks and velocities', () => {
    const lanes = (parsed.arrangement!.lanes!.lanes as any[]).find((lane) => lane.track === 'trk.bass');
    const clips = lanes.lanes.find((lane: any) => lane.clips).clips as any[];
    expect(clips.map((clip) => clip.name)).toEqual(['verse 1', 'verse 2']);
    const bass = ir.tracks.find((track) => track.id === 'bass')!;
    const read = clips.flatMap((clip) =>
      clip.content[0].notes.map((note: any) => ({
        pitch: note.key,
        velocity: Math.round(note.vel * 127),
        startTick: Math.round((clip.time + note.time) * 960),
        lengthTicks: Math.round(note.duration * 960),
      })),
    );
    expect(read).toEqual(bass.notes.map(({ pitch, velocity, startTick, lengthTicks }) => ({ pitch, velocity, startTick, lengthTicks })));
    expect(read[0]).toEqual({ pitch: 33, velocity: 77, startTick: ir.sections[1].startTick, lengthTicks: 1234 });
    // Clip positions are the sections' starts; the kick has intro and both verses.
    expect(clips.map((clip) => Math.round(clip.time * 960))).toEqual([ir.sections[1].startTick, ir.sections[2].startTick]);
    const kick = (parsed.arrangement!.lanes!.lanes as any[]).find((lane) => lane.track === 'trk.kick').lanes[0].clips as any[];
    expect(kick.map((clip) => clip.name)).toEqual(['intro 1', 'verse 1', 'verse 2', 'end 1']);
  });

  it('writes audio clips with their trim, fades and loop, and the take at its own rate', () => {
    const clips = all(tree(xml)).filter((node) => node.tag === 'Clip' && node.children[0]?.tag === 'Audio' && node.children[0].children[0].attrs.path === 'audio/clips/takes/vox.wav');
    expect(clips).toHaveLength(2);
    const clock = new TempoClock(ir.tempoMap);
    expect(Number(clips[0].attrs.time)).toBeCloseTo(clock.seconds(3840), 4);
    expect(clips[0].attrs).toMatchObject({ playStart: '0.05', fadeInTime: '0.01', contentTimeUnit: 'seconds', comment: 'gain -3 dB' });
    expect(Number(clips[0].attrs.duration)).toBeCloseTo(0.5 - 0.05, 12);
    expect(clips[0].children[0].attrs).toMatchObject({ sampleRate: '44100', channels: '1', duration: '0.5' });
    expect(clips[1].attrs).toMatchObject({ loopStart: '0', loopEnd: '0.5' });
  });

  it('writes volume, pan and send automation as points on those parameters', () => {
    const root = tree(xml);
    const bassChannel = all(root).find((node) => node.tag === 'Channel' && node.attrs.id === 'ch.bass')!;
    const paramId = (tag: string) => bassChannel.children.find((child) => child.tag === tag)!.attrs.id;
    const lanes = all(root).find((node) => node.tag === 'Lanes' && node.attrs.track === 'trk.bass')!;
    const pointsFor = (parameter: string) => {
      const points = lanes.children.find((child) => child.tag === 'Points' && child.children[0].attrs.parameter === parameter)!;
      return points.children.slice(1).map((point) => ({ seconds: Number(point.attrs.time), value: Number(point.attrs.value), interpolation: point.attrs.interpolation }));
    };
    const clock = new TempoClock(ir.tempoMap);
    const at = (tick: number) => Math.round(clock.seconds(tick) * ir.sampleRate) / ir.sampleRate;
    const volume = pointsFor(paramId('Volume'));
    // The bent fade is drawn by points on mixdown's curve; its ends are exact.
    expect(volume[0]).toEqual({ seconds: 0, value: 10 ** (-12 / 20), interpolation: 'linear' });
    expect(volume.at(-1)).toEqual({ seconds: at(7680), value: 10 ** (-4 / 20), interpolation: 'hold' });
    expect(volume.length).toBe(17);
    const pan = pointsFor(paramId('Pan'));
    expect(pan).toEqual([
      { seconds: 0, value: 0.35, interpolation: 'linear' },
      { seconds: at(15360), value: 0.65, interpolation: 'hold' },
    ]);
    const sendVolume = bassChannel.children.find((child) => child.tag === 'Sends')!.children[0].children.find((child) => child.tag === 'Volume')!.attrs.id;
    expect(pointsFor(sendVolume)).toEqual([
      { seconds: 0, value: 10 ** (-20 / 20), interpolation: 'hold' },
      { seconds: at(15360), value: 10 ** (-8 / 20), interpolation: 'hold' },
    ]);
  });

  it('puts the rendered stems in a muted folder, where the channels that feed the master play the mix', () => {
    const folder = (parsed.structure as any[]).find((track) => track.name === 'Stems (rendered by mixdown)');
    expect(folder.contentType).toBe('tracks');
    const folderMute = all(tree(xml)).find((node) => node.tag === 'Channel' && node.attrs.id === 'ch.stems')!.children.find((child) => child.tag === 'Mute')!;
    expect(folderMute.attrs.value).toBe('true');
    expect(folder.tracks.map((track: any) => track.name)).toEqual(['kick (stem)', 'bass (stem)', 'pad (stem)', 'vox (stem)', 'drums (stem)', 'verb (stem)']);
    const muted = all(tree(xml))
      .filter((node) => node.tag === 'Channel' && node.attrs.id.startsWith('ch.stem.'))
      .map((node) => [node.attrs.id, node.children.find((child) => child.tag === 'Mute')!.attrs.value]);
    expect(muted).toEqual([
      ['ch.stem.kick', 'true'],
      ['ch.stem.bass', 'false'],
      ['ch.stem.pad', 'false'],
      ['ch.stem.vox', 'false'],
      ['ch.stem.drums', 'false'],
      ['ch.stem.verb', 'false'],
    ]);
  });

  it('is the same bytes from the cache and rendered again, and is cached like the MIDI file', async () => {
    const again = await project.build({ dawproject: true });
    expect(again.songs[0].report!.tasks.find((task) => task.id === 'dawproject')!.status).toBe('cached');
    expect(project.bytes('dist/rt/rt.dawproject').equals(zipBytes)).toBe(true);
    const fresh = await project.build({ dawproject: true, useCache: false });
    expect(fresh.songs[0].report!.outputs.find((output) => output.path === 'rt.dawproject')).toMatchObject({ task: 'dawproject', peakDb: null });
    expect(project.bytes('dist/rt/rt.dawproject').equals(zipBytes)).toBe(true);
    // Without the option the export is not planned.
    const plain = await project.build();
    expect(plain.songs[0].report!.tasks.some((task) => task.id === 'dawproject')).toBe(false);
  }, 120_000);

  it('imports back into a song with the same tempo map, meters, sections, notes and routing', async () => {
    const written = importDawproject(project.root, `${project.root}/dist/rt/rt.dawproject`, { name: 'back' });
    expect(written).toBe('songs/back/song.ts');
    const source = project.read(written);
    expect(source).toContain("import { defineSong, drums, synth } from 'mixdown';");
    expect(() => importDawproject(project.root, `${project.root}/dist/rt/rt.dawproject`, { name: 'back' })).toThrow(/exists; pass --force/);
    const result = await project.build({ songs: ['back'] });
    expect(result.songs[0].diagnostics).toEqual([]);
    // mixdown.lock holds the export; verify renders it again (no cache, another folder): same bytes.
    await project.build({ songs: ['rt'], dawproject: true });
    expect(JSON.parse(project.read('mixdown.lock')).songs.rt.outputs['rt.dawproject'].sha256).toBe(createHash('sha256').update(zipBytes).digest('hex'));
    const verified = await verify(project.root);
    expect(verified.differences).toEqual([]);
    expect(verified.ok).toBe(true);
    const back = result.songs[0].ir!;
    expect(back.title).toBe('Round & Trip');
    expect(back.tempoMap).toEqual(ir.tempoMap);
    expect(back.meterMap).toEqual(ir.meterMap);
    expect(back.sections.map(({ name, occurrence, startTick, endTick }) => [name, occurrence, startTick, endTick])).toEqual(ir.sections.map(({ name, occurrence, startTick, endTick }) => [name, occurrence, startTick, endTick]));
    const notes = (song: SongIR, id: string) => song.tracks.find((track) => track.id === id)!.notes.map(({ pitch, velocity, startTick, lengthTicks }) => ({ pitch, velocity, startTick, lengthTicks }));
    // The audio track has no notes to import; the three note tracks come back note for note.
    expect(back.tracks.map((track) => track.id)).toEqual(['kick', 'bass', 'pad']);
    for (const id of ['kick', 'bass', 'pad']) expect(notes(back, id), id).toEqual(notes(ir, id));
    expect(back.tracks[0].midiDrums).toBe(true);
    const strip = (channel: SongIR['tracks'][number] | SongIR['buses'][number]) => ({ output: channel.output, gainDb: channel.gainDb, pan: channel.pan, mute: channel.mute, sends: channel.sends.map(({ to, levelDb, pre }) => ({ to, levelDb, pre })) });
    expect(back.buses.map((bus) => bus.id)).toEqual(['drums', 'verb']);
    for (const id of ['kick', 'bass', 'pad']) expect(strip(back.tracks.find((track) => track.id === id)!), id).toEqual(strip(ir.tracks.find((track) => track.id === id)!));
    for (const id of ['drums', 'verb']) expect(strip(back.buses.find((bus) => bus.id === id)!), id).toEqual(strip(ir.buses.find((bus) => bus.id === id)!));
  }, 120_000);
});

describe('DAWproject checks', () => {
  it('the schema check names a wrong element, attribute, enumerated value and a missing required attribute', () => {
    const bad = tree('<Project version="1.0"><Application name="x"/><Structure><Track id="t" contentType="notes midi" colour="red"><Volume unit="linear" value="1"/></Track></Structure></Project>');
    expect(schemaProblems(bad)).toEqual([
      "Project/Application: required attribute 'version' missing",
      "Project/Structure/Track@contentType: 'midi' is not one of audio, automation, notes, video, markers, tracks",
      "Project/Structure/Track: attribute 'colour' is not in track",
      'Project/Structure/Track: element <Volume> is not a child of track',
    ]);
  });

  it('import-dawproject on a file that is not a DAWproject exits 1 with MD237', () => {
    const project = createProject();
    try {
      project.write('sketch.dawproject', 'not a zip');
      const run = spawnSync(process.execPath, [`${REPO_ROOT}/bin/mixdown.js`, 'import-dawproject', 'sketch.dawproject'], { cwd: project.root, encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('MD237');
      expect(run.stderr).toContain('not a zip file');
    } finally {
      project.dispose();
    }
  });
});

describe('DAWproject params', () => {
  it('exports solo as the song wrote it, and mute as it plays', () => {
    const result = elaborate(
      { title: 'S', tempo: 120, tracks: { a: { instrument: synth(), solo: true, notes: [{ pitch: 60, start: '0:0:0', length: '4n' }] }, b: { instrument: synth(), notes: [{ pitch: 62, start: '0:0:0', length: '4n' }] } } },
      { id: 's', file: 'songs/s/song.ts' },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const params = dawprojectParams(result.song, 'engine');
    expect(params.channels.map((channel) => [channel.id, channel.solo, channel.mute])).toEqual([
      ['a', true, false],
      ['b', false, true],
    ]);
  });

  it('samples an LFO at 16 points a cycle on the curve mixdown renders', () => {
    const anchors = [
      { sample: 0, phase: 0 },
      { sample: 1600, phase: 2 },
    ];
    const points = automationPoints({ points: [], lfo: { shape: 'triangle', min: -6, max: 0, anchors } }, (db) => db, true);
    expect(points).toHaveLength(33);
    expect(points[0]).toEqual({ sample: 0, value: -3, interpolation: 'linear' });
    expect(points[4]).toEqual({ sample: 200, value: 0, interpolation: 'linear' });
    expect(points[12]).toEqual({ sample: 600, value: -6, interpolation: 'linear' });
    expect(points.at(-1)!.interpolation).toBe('hold');
  });
});
