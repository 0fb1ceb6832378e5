/** The listening room's test song: three sections, a bus, a variant without the pad (silent in the intro), a reference track. */
export const ROOM_SONG = `import { defineSong, drums, GM_DRUMS, removeTracks, synth } from 'mixdown';

export default defineSong({
  title: 'Room Test',
  tempo: 120,
  seed: 3,
  tail: 0.25,
  sections: { intro: 1, verse: 2, chorus: 1 },
  form: ['intro', 'verse', 'chorus'],
  tracks: {
    pad: {
      instrument: synth({ wave: 'triangle' }),
      gain: -6,
      notes: [
        { pitch: 'A3', start: '0:0:0', length: '1m' },
        { pitch: 'C4', start: '1:0:0', length: '2m' },
        { pitch: 'E4', start: '3:0:0', length: '1m' },
      ],
    },
    late: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 2000 } }),
      gain: -10,
      output: 'band',
      parts: {
        verse: [{ pitch: 'A4', start: '0:0:0', length: '2n' }, { pitch: 'G4', start: '0:2:0', length: '2n' }],
        chorus: [{ pitch: 'E5', start: '0:0:0', length: '1m' }],
      },
    },
    beat: {
      instrument: drums(),
      output: 'band',
      parts: {
        verse: [{ pitch: GM_DRUMS.kick, start: '0:0:0', length: '8n' }, { pitch: GM_DRUMS.snare, start: '0:2:0', length: '8n' }],
        chorus: [{ pitch: GM_DRUMS.kick, start: '0:0:0', length: '8n' }],
      },
    },
  },
  buses: { band: {} },
  master: { loudness: 'streaming', reference: 'refs/ref.wav' },
  variants: { quiet: (s) => removeTracks(s, 'pad') },
});
`;

/** A 16-bit stereo WAV of two sines, written by hand (the reference track). */
export function referenceWav(seconds: number, sampleRate = 48000): Buffer {
  const frames = seconds * sampleRate;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const value = Math.round(32767 * (0.1 * Math.sin((2 * Math.PI * 220 * i) / sampleRate) + 0.05 * Math.sin((2 * Math.PI * 1760 * i) / sampleRate)));
    data.writeInt16LE(value, 4 * i);
    data.writeInt16LE(value, 4 * i + 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

