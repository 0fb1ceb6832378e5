// A two-bar song for the end-to-end tests: small enough to render in a fraction of a second.
import { defineSong, drums, GM_DRUMS, synth } from 'mixdown';

export default defineSong({
  title: 'Tiny',
  tempo: 120,
  meter: [4, 4],
  seed: 7,
  tail: 0.25,
  tracks: {
    lead: {
      instrument: synth({ wave: 'saw' }),
      gain: -6,
      notes: [
        { pitch: 'A4', start: '0:0:0', length: '4n', velocity: 100 },
        { pitch: 'C5', start: '0:1:0', length: '4n', velocity: 90 },
        { pitch: 'E5', start: '0:2:0', length: '2n', velocity: 80 },
        { pitch: 'A4', start: '1:0:0', length: '1m', velocity: 100 },
      ],
    },
    bass: {
      instrument: synth({ wave: 'square' }),
      gain: -8,
      pan: -0.2,
      notes: [
        { pitch: 'A2', start: '0:0:0', length: '2n' },
        { pitch: 'F2', start: '0:2:0', length: '2n' },
        { pitch: 'A2', start: '1:0:0', length: '1m' },
      ],
    },
    beat: {
      instrument: drums(),
      notes: [
        { pitch: GM_DRUMS.kick, start: '0:0:0', length: '8n' },
        { pitch: GM_DRUMS.closedHat, start: '0:1:0', length: '8n', velocity: 70 },
        { pitch: GM_DRUMS.snare, start: '0:2:0', length: '8n' },
        { pitch: GM_DRUMS.closedHat, start: '0:3:0', length: '8n', velocity: 70 },
        { pitch: GM_DRUMS.kick, start: '1:0:0', length: '8n' },
        { pitch: GM_DRUMS.clap, start: '1:2:0', length: '8n' },
        { pitch: GM_DRUMS.openHat, start: '1:3:0', length: '8n', velocity: 80 },
      ],
    },
  },
});
