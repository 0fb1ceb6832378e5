/**
 * validate(): checks a SongIR as a whole — what no single field can say on its own:
 * outputs that name nothing, a song with nothing to render. Shape problems of single
 * fields are caught while elaborating, where the user's value is still at hand.
 */
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { locateKey, type SongSource } from './locate.ts';
import type { SongIR } from './types.ts';

/** Every output a track may name. Buses join this list with the mix graph. */
export function knownOutputs(_song: SongIR): string[] {
  return ['master'];
}

export function validate(song: SongIR, source: SongSource): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const outputs = knownOutputs(song);
  for (const track of song.tracks) {
    if (!outputs.includes(track.output)) {
      problems.push(d.unknownOutput({ ...locateKey(source, 'output', track.id), song: song.id, track: track.id }, track.output, outputs));
    }
  }
  if (song.tracks.every((track) => track.notes.length === 0)) {
    problems.push(d.emptySong({ ...locateKey(source, 'tracks'), song: song.id }));
  }
  return problems;
}
