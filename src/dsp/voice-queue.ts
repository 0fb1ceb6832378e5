/**
 * Bookkeeping for instruments that render block by block: the notes handed out in the order
 * they start (each once, in the block its start falls in), and the sounding voices kept in
 * note order, which is the order their samples are summed in (float addition order is part
 * of the result, so a block-streamed render adds voices exactly as a whole-song one did).
 */

/** A sounding voice: the index of the note it plays. */
export interface IndexedVoice {
  readonly index: number;
}

/** Notes in start order, taken block by block. */
export class NoteQueue {
  /** Note indices by start sample (ties by index); null when the notes already come in that order. */
  private readonly order: Int32Array | null;
  private next = 0;

  constructor(private readonly notes: ArrayLike<{ readonly startSample: number }>) {
    let ordered = true;
    for (let i = 1; i < notes.length && ordered; i++) ordered = notes[i - 1].startSample <= notes[i].startSample;
    this.order = ordered ? null : Int32Array.from(Array.from({ length: notes.length }, (_, i) => i).sort((a, b) => notes[a].startSample - notes[b].startSample || a - b));
  }

  /** The next note that starts before sample `end`, or -1 when the rest start later. */
  take(end: number): number {
    if (this.next >= this.notes.length) return -1;
    const index = this.order ? this.order[this.next] : this.next;
    if (!(this.notes[index].startSample < end)) return -1;
    this.next++;
    return index;
  }
}

/** Add `voice` to `voices` (sorted by note index), keeping the order: an append when notes start in order. */
export function insertVoice<V extends IndexedVoice>(voices: V[], voice: V): void {
  let at = voices.length;
  while (at > 0 && voices[at - 1].index > voice.index) at--;
  voices.splice(at, 0, voice);
}

/**
 * Frames an instrument renders at a time however long a block it is asked for: a whole-song
 * block is rendered as a run of these, so its voices come and go as they would in the engine
 * and memory stays bounded (any split gives the same bits, by the streaming contract).
 */
export const VOICE_CHUNK = 1024;

/** Call `render` on `output` (frames from `start`) in pieces of at most VOICE_CHUNK frames, in order. */
export function renderInChunks(start: number, output: readonly Float32Array[], render: (start: number, output: readonly Float32Array[]) => void): void {
  const frames = output.length === 0 ? 0 : output[0].length;
  if (frames <= VOICE_CHUNK) return render(start, output);
  for (let from = 0; from < frames; from += VOICE_CHUNK) {
    const to = Math.min(frames, from + VOICE_CHUNK);
    render(start + from, output.map((channel) => channel.subarray(from, to)));
  }
}
