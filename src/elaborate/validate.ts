/**
 * validate(): checks a SongIR as a whole — what no single field can say on its own:
 * outputs that name nothing, a song with nothing to render. Shape problems of single
 * fields are caught while elaborating, where the user's value is still at hand; routing
 * (outputs, sends, sidechains) in routing.ts.
 */
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { locateKey, type SongSource } from './locate.ts';
import type { SongIR } from '../ir/types.ts';

export function validate(song: SongIR, source: SongSource): Diagnostic[] {
  const problems: Diagnostic[] = [];
  if (song.tracks.every((track) => track.notes.length === 0)) {
    problems.push(d.emptySong({ ...locateKey(source, 'tracks'), song: song.id }));
  }
  return problems;
}
