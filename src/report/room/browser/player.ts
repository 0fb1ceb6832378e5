/**
 * Playback for the room. Over http(s) every source (a master, a stem, the reference) is
 * fetched, decoded once, and played through Web Audio: all playing sources start at the same
 * context time from the same offset, each through its own gain, so switching A/B, soloing or
 * muting changes gains, never positions, and a source joining later is scheduled at the exact
 * sample the others are at. From file:// browsers refuse both fetch and Web Audio on the file,
 * so the page falls back to one <audio> element per source, kept together by currentTime.
 */

export interface Source {
  readonly id: string;
  readonly url: string;
}

export interface Player {
  /** `webaudio` (sample-synchronous) or `media` (file://: <audio> elements, ~10 ms sync). */
  readonly engine: 'webaudio' | 'media';
  /** Song seconds now. */
  position(): number;
  readonly playing: boolean;
  play(): Promise<void>;
  pause(): void;
  seek(seconds: number): void;
  /** Linear gain per source id; sources left out are silent (and need not be loaded). */
  setLevels(levels: ReadonlyMap<string, number>): Promise<void>;
  /** Output level now, dBFS: sample peak and RMS over the last ~43 ms (null where it cannot be measured). */
  meter(): { peakDb: number; rmsDb: number } | null;
  /** Sources loaded so far (ids). */
  loaded(): string[];
  /** The playback clock, seconds (the audio context's time; the page's time for <audio> elements). */
  clock(): number;
}

const toDb = (value: number) => (value > 0 ? 20 * Math.log10(value) : -Infinity);

export function createPlayer(sources: readonly Source[]): Player {
  return location.protocol === 'file:' ? new MediaPlayer(sources) : new WebAudioPlayer(sources);
}

class WebAudioPlayer implements Player {
  readonly engine = 'webaudio' as const;
  private readonly context = new AudioContext({ latencyHint: 'playback' });
  private readonly analyser: AnalyserNode;
  private readonly sources = new Map<string, Source>();
  private readonly buffers = new Map<string, Promise<AudioBuffer>>();
  private readonly decoded = new Set<string>();
  private readonly gains = new Map<string, GainNode>();
  private readonly nodes = new Map<string, AudioBufferSourceNode>();
  private levels: ReadonlyMap<string, number> = new Map();
  /** Context time at which `offset` was (or will be) the position. */
  private startedAt = 0;
  private offset = 0;
  /** Counts play and pause requests, so a play that waited for decoding yields to a later request. */
  private requests = 0;
  playing = false;

  constructor(sources: readonly Source[]) {
    for (const source of sources) this.sources.set(source.id, source);
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 2048;
    this.analyser.connect(this.context.destination);
  }

  position(): number {
    return this.playing ? Math.max(0, this.offset + (this.context.currentTime - this.startedAt)) : this.offset;
  }

  private buffer(id: string): Promise<AudioBuffer> {
    let pending = this.buffers.get(id);
    if (!pending) {
      const source = this.sources.get(id);
      if (!source) throw new Error(`no audio source '${id}'`);
      pending = fetch(source.url)
        .then((response) => {
          if (!response.ok) throw new Error(`${source.url}: HTTP ${response.status}`);
          return response.arrayBuffer();
        })
        .then((bytes) => this.context.decodeAudioData(bytes))
        .then((buffer) => {
          this.decoded.add(id);
          return buffer;
        });
      this.buffers.set(id, pending);
    }
    return pending;
  }

  private gain(id: string): GainNode {
    let node = this.gains.get(id);
    if (!node) {
      node = this.context.createGain();
      node.gain.value = 0;
      node.connect(this.analyser);
      this.gains.set(id, node);
    }
    return node;
  }

  /** Start one source so that it plays at the position the others are at. */
  private async startSource(id: string): Promise<void> {
    const buffer = await this.buffer(id);
    if (!this.playing || this.nodes.has(id) || !this.levels.has(id)) return;
    const node = this.context.createBufferSource();
    node.buffer = buffer;
    node.connect(this.gain(id));
    const when = Math.max(this.context.currentTime + 0.02, this.startedAt);
    const at = this.offset + (when - this.startedAt);
    if (at < buffer.duration) node.start(when, at);
    this.nodes.set(id, node);
  }

  async play(): Promise<void> {
    if (this.playing) return;
    const request = ++this.requests;
    await this.context.resume();
    // Everything audible is decoded before the clock starts, so all start together.
    await Promise.all([...this.levels.keys()].map((id) => this.buffer(id)));
    // A pause, seek or second play while this one waited: the latest request wins.
    if (request !== this.requests || this.playing) return;
    this.startedAt = this.context.currentTime + 0.05;
    this.playing = true;
    await Promise.all([...this.levels.keys()].map((id) => this.startSource(id)));
  }

  pause(): void {
    this.requests++;
    if (!this.playing) return;
    this.offset = this.position();
    this.playing = false;
    this.stopAll();
  }

  clock(): number {
    return this.context.currentTime;
  }

  private stopAll(): void {
    for (const node of this.nodes.values()) {
      try {
        node.stop();
      } catch {
        // Not started (its offset was past its end).
      }
      node.disconnect();
    }
    this.nodes.clear();
  }

  seek(seconds: number): void {
    const at = Math.max(0, seconds);
    if (!this.playing) {
      this.offset = at;
      return;
    }
    // Playing on from the new position: the audible sources are decoded already.
    this.stopAll();
    this.offset = at;
    this.startedAt = this.context.currentTime + 0.03;
    for (const id of this.levels.keys()) void this.startSource(id);
  }

  async setLevels(levels: ReadonlyMap<string, number>): Promise<void> {
    this.levels = levels;
    const now = this.context.currentTime;
    for (const [id, node] of this.gains) node.gain.setTargetAtTime(levels.get(id) ?? 0, now, 0.004);
    for (const [id, level] of levels) this.gain(id).gain.setTargetAtTime(level, now, 0.004);
    // Silent sources stop; newly audible ones join in sync.
    for (const [id, node] of [...this.nodes]) {
      if (levels.has(id)) continue;
      try {
        node.stop(now + 0.03);
      } catch {
        // Never started.
      }
      this.nodes.delete(id);
    }
    await Promise.all([...levels.keys()].map((id) => (this.playing ? this.startSource(id) : this.buffer(id))));
  }

  meter(): { peakDb: number; rmsDb: number } {
    const samples = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    let sum = 0;
    for (const sample of samples) {
      const magnitude = Math.abs(sample);
      if (magnitude > peak) peak = magnitude;
      sum += sample * sample;
    }
    return { peakDb: toDb(peak), rmsDb: toDb(Math.sqrt(sum / samples.length)) };
  }

  loaded(): string[] {
    return [...this.decoded];
  }
}

class MediaPlayer implements Player {
  readonly engine = 'media' as const;
  private readonly elements = new Map<string, HTMLAudioElement>();
  private levels: ReadonlyMap<string, number> = new Map();
  private offset = 0;
  playing = false;

  constructor(private readonly sources: readonly Source[]) {}

  private element(id: string): HTMLAudioElement {
    let element = this.elements.get(id);
    if (!element) {
      const source = this.sources.find((candidate) => candidate.id === id);
      if (!source) throw new Error(`no audio source '${id}'`);
      element = new Audio(source.url);
      element.preload = 'auto';
      this.elements.set(id, element);
    }
    return element;
  }

  /** The element whose clock is the position: the first audible one. */
  private leader(): HTMLAudioElement | undefined {
    const [first] = this.levels.keys();
    return first === undefined ? undefined : this.element(first);
  }

  position(): number {
    return this.playing ? (this.leader()?.currentTime ?? this.offset) : this.offset;
  }

  /** Volumes are at most 1: the loudest source plays at full volume and the others in proportion. */
  private applyVolumes(): void {
    const loudest = Math.max(1, ...this.levels.values());
    for (const [id, element] of this.elements) element.volume = Math.min(1, (this.levels.get(id) ?? 0) / loudest);
  }

  async play(): Promise<void> {
    if (this.playing) return;
    this.playing = true;
    this.applyVolumes();
    await Promise.all(
      [...this.levels.keys()].map((id) => {
        const element = this.element(id);
        element.currentTime = this.offset;
        return element.play();
      }),
    );
  }

  pause(): void {
    if (!this.playing) return;
    this.offset = this.position();
    this.playing = false;
    for (const element of this.elements.values()) element.pause();
  }

  seek(seconds: number): void {
    this.offset = Math.max(0, seconds);
    for (const id of this.levels.keys()) this.element(id).currentTime = this.offset;
  }

  async setLevels(levels: ReadonlyMap<string, number>): Promise<void> {
    const at = this.position();
    this.levels = levels;
    for (const [id, element] of this.elements) if (!levels.has(id)) element.pause();
    this.applyVolumes();
    if (!this.playing) return;
    await Promise.all(
      [...levels.keys()].map((id) => {
        const element = this.element(id);
        if (!element.paused) return undefined;
        element.currentTime = at;
        return element.play();
      }),
    );
  }

  meter(): null {
    return null;
  }

  clock(): number {
    return performance.now() / 1000;
  }

  loaded(): string[] {
    return [...this.elements.keys()];
  }
}

/** Call `update` every animation frame; playback that reaches the end stops and rewinds to the start. */
export function everyFrame(player: Player, durationSeconds: number, update: () => void): void {
  const frame = () => {
    if (player.playing && player.position() >= durationSeconds) {
      player.pause();
      player.seek(0);
    }
    update();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}
