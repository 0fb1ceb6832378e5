/**
 * The `dawproject` task: the project's XML from its params, the stems it reads (its
 * dependencies' outputs, in channel order) and the audio files of its audio clips (read by
 * project path and checked against the hashes in its key), zipped by src/io/dawproject.ts.
 */
import { decodeAudioFile, readAudioFileSync, sniffAudioFormat } from '../io/audio-file.ts';
import { encodeDawproject, type DawMedia } from '../io/dawproject.ts';
import type { DawprojectTaskParams } from '../plan/dawproject.ts';
import { readDeclaredFile } from './declared-file.ts';

export async function renderDawproject(params: DawprojectTaskParams, stems: readonly Uint8Array[], where: { readonly projectRoot: string; readonly file: string; readonly song: string }): Promise<Uint8Array> {
  const stemsById = new Map(params.stems.map((id, index) => [id, stems[index]]));
  const media = new Map<string, DawMedia>();
  for (const file of params.files) {
    const bytes = readDeclaredFile(where.projectRoot, file, where);
    // WAV and AIFF are read at their own rate; other formats through the decoder, at the song's.
    const format = sniffAudioFormat(bytes);
    const audio = format === 'wav' || format === 'aiff' ? readAudioFileSync(bytes, file.path) : await decodeAudioFile(bytes, file.path, params.project.sampleRate);
    media.set(file.path, { bytes, channels: audio.channels.length, sampleRate: audio.sampleRate, frames: audio.channels[0]?.length ?? 0 });
  }
  return encodeDawproject(params.project, stemsById, media);
}
