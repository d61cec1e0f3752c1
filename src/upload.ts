/**
 * Uploaded bytes (Bottle's `FileUpload` and the spooling behind `BaseRequest.body`):
 * `SpooledFile` holds a body or a file part in memory up to `memfileMax` and in a
 * temporary file beyond, with synchronous `read()`/`seek()`; `Spool` is the writable
 * side that body.ts streams request bytes into; `FileUpload` wraps one uploaded file.
 *
 * Security: temporary files are created exclusively (`wx`) with mode 0600 in the
 * `tempDir` config directory (`os.tmpdir()`, which honours `TMPDIR`, when unset) and
 * removed by `RequestBody.cleanup()` (called when the response closes); a spool
 * destroyed mid-write waits for the write before closing its descriptor, so an aborted
 * upload leaks neither a file nor a descriptor. A failed open or write (full disk,
 * missing directory) closes the descriptor, and the path was reported before the open,
 * so body.ts removes the half-written file before answering.
 * @module
 */
import { randomBytes } from 'node:crypto'
import {
  close as fsClose,
  closeSync,
  constants as fsConstants,
  open as fsOpen,
  openSync,
  readSync,
  writev as fsWritev,
} from 'node:fs'
import { copyFile, open, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { HeaderDict } from './structures.js'

// --- Spooled files -----------------------------------------------------------------

let tempCounter = 0

function tempPath(dir: string): string {
  return join(dir, `bottle-ts-${process.pid}-${++tempCounter}-${randomBytes(6).toString('hex')}`)
}

/**
 * Bytes held in memory or, past a threshold, in a temporary file: what `request.body`
 * and `FileUpload.file` read from. Reads are synchronous (the data is already here) and
 * keep a position, like a Python file object.
 */
export class SpooledFile {
  /** The bytes, when held in memory; `null` when they are in `path`. */
  readonly memory: Buffer | null
  /** The temporary file holding the bytes, or `null` when in memory. */
  readonly path: string | null
  /** The size in bytes. */
  readonly size: number
  #pos = 0
  #fd: number | null = null
  #removed = false

  /** Wraps bytes in memory, or a temporary file of `size` bytes. */
  constructor(memory: Buffer | null, path: string | null = null, size = memory?.length ?? 0) {
    this.memory = memory
    this.path = path
    this.size = size
  }

  /** Reads up to `size` bytes (all that is left by default) from the current position. */
  read(size = -1): Buffer {
    const end = size < 0 ? this.size : Math.min(this.size, this.#pos + size)
    const length = Math.max(0, end - this.#pos)
    let out: Buffer
    if (this.memory) {
      out = this.memory.subarray(this.#pos, this.#pos + length)
    } else {
      out = Buffer.allocUnsafe(length)
      let done = 0
      const fd = this.#openFd()
      while (done < length) {
        const n = readSync(fd, out, done, length - done, this.#pos + done)
        if (n === 0) break
        done += n
      }
      out = out.subarray(0, done)
    }
    this.#pos += out.length
    return out
  }

  /** Moves the position: from the start (`whence` 0), the current position (1) or the end (2). */
  seek(offset: number, whence: 0 | 1 | 2 = 0): number {
    const base = whence === 0 ? 0 : whence === 1 ? this.#pos : this.size
    this.#pos = Math.max(0, Math.min(base + offset, this.size))
    return this.#pos
  }

  /** The current position. */
  tell(): number {
    return this.#pos
  }

  /** Every byte, whatever the position (reads the temporary file when spooled). */
  get buffer(): Buffer {
    if (this.memory) return this.memory
    const pos = this.#pos
    this.#pos = 0
    const all = this.read()
    this.#pos = pos
    return all
  }

  /** A new readable stream over all the bytes, for piping large uploads. */
  stream(options: { highWaterMark?: number } = {}): Readable {
    if (this.memory) return Readable.from([this.memory], { objectMode: false })
    if (this.#removed) throw new Error('The temporary file of this upload was already removed')
    // A file stream opens its own descriptor, so it is unaffected by read()/seek().
    return Readable.from(readFileChunks(this.path!, this.size, options.highWaterMark ?? 65536))
  }

  /** Closes the descriptor and deletes the temporary file; safe to call twice. */
  async remove(): Promise<void> {
    this.#closeFd()
    if (this.path && !this.#removed) {
      this.#removed = true
      await unlink(this.path).catch(() => undefined)
    }
  }

  #openFd(): number {
    if (this.#removed) throw new Error('The temporary file of this upload was already removed')
    return (this.#fd ??= openSync(this.path!, 'r'))
  }

  #closeFd(): void {
    if (this.#fd !== null) {
      closeSync(this.#fd)
      this.#fd = null
    }
  }
}

async function* readFileChunks(path: string, size: number, chunk: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r')
  try {
    for (let pos = 0; pos < size;) {
      const buf = Buffer.allocUnsafe(Math.min(chunk, size - pos))
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
      if (bytesRead === 0) break
      pos += bytesRead
      yield buf.subarray(0, bytesRead)
    }
  } finally {
    await fh.close()
  }
}

/** A writable sink that keeps bytes in memory up to `threshold`, then moves to a temp file. */
export class Spool extends Writable {
  readonly #threshold: number
  readonly #chunks: Buffer[] = []
  #size = 0
  #fd: number | null = null
  #path: string | null = null
  #inflight: Promise<void> | null = null
  readonly #track: (path: string) => void
  readonly #dir: string

  /** Spools past `threshold` bytes into a new file in `dir`, reporting its path to `track`. */
  constructor(threshold: number, track: (path: string) => void, dir: string = tmpdir()) {
    super({ highWaterMark: 1024 * 1024 })
    this.#threshold = threshold
    this.#track = track
    this.#dir = dir
  }

  get size(): number {
    return this.#size
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this._writev([{ chunk }], cb)
  }

  // Chunks queued while a disk write is in flight go out as one writev: far fewer syscalls.
  override _writev(chunks: { chunk: Buffer }[], cb: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk)
    for (const b of buffers) this.#size += b.length
    if (this.#path === null && this.#size <= this.#threshold) {
      this.#chunks.push(...buffers)
      cb()
      return
    }
    const write = this.#toDisk(buffers)
    this.#inflight = write.catch(() => undefined)
    write.then(() => cb(), cb)
  }

  async #toDisk(buffers: Buffer[]): Promise<void> {
    if (this.#path === null) {
      const path = tempPath(this.#dir)
      this.#path = path
      this.#track(path)
      // 'wx': never follow or reuse an existing file; 0o600: other users cannot read uploads.
      this.#fd = await new Promise<number>((resolve, reject) =>
        fsOpen(path, 'wx', 0o600, (err, fd) => (err ? reject(err) : resolve(fd)))
      )
      buffers = [...this.#chunks.splice(0), ...buffers]
    }
    // The callback API: markedly faster than FileHandle for many small writes.
    let pending = buffers
    while (pending.length) {
      // Destroyed while a write was in flight: stop; _destroy closes the descriptor.
      const fd = this.#fd
      if (this.destroyed || fd === null) throw new Error('Upload aborted')
      const written = await new Promise<number>((resolve, reject) =>
        fsWritev(fd, pending, (err, n) => (err ? reject(err) : resolve(n)))
      )
      pending = skipBytes(pending, written)
    }
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.#close().then(() => cb(), cb)
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    // Wait for an in-flight open or write, so no descriptor is opened after we closed.
    void (this.#inflight ?? Promise.resolve())
      .then(() => this.#close())
      .then(
        () => cb(error),
        () => cb(error)
      )
  }

  #close(): Promise<void> {
    const fd = this.#fd
    this.#fd = null
    if (fd === null) return Promise.resolve()
    return new Promise((resolve, reject) => fsClose(fd, (err) => (err ? reject(err) : resolve())))
  }

  /** The spooled bytes; call after 'finish'. */
  result(): SpooledFile {
    if (this.#path) return new SpooledFile(null, this.#path, this.#size)
    return new SpooledFile(
      this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks)
    )
  }
}

/** The buffers left after the first `n` bytes were written. */
function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  let i = 0
  while (i < buffers.length && n >= buffers[i]!.length) n -= buffers[i++]!.length
  if (i === buffers.length) return []
  const rest = buffers.slice(i)
  if (n) rest[0] = rest[0]!.subarray(n)
  return rest
}

// --- FileUpload --------------------------------------------------------------------

/** Options of `FileUpload.save`. */
export interface SaveOptions {
  /** Replace an existing file (default `false`: refuse with an error). */
  overwrite?: boolean
  /** Bytes per chunk when copying into a stream (default 65536). */
  chunkSize?: number
}

/** An uploaded file from a multipart body (Bottle's `FileUpload`). */
export class FileUpload {
  /** The file content: synchronous `read()`/`seek()`, `stream()`, and `path` when spooled. */
  readonly file: SpooledFile
  /** The form field name. */
  readonly name: string
  /** The client's file name as sent: untrusted, may hold paths and any character. */
  readonly rawFilename: string
  /** The part's headers. */
  readonly headers: HeaderDict

  /** An upload of `file` for field `name`, as the client named it in `rawFilename`. */
  constructor(
    file: SpooledFile | Buffer,
    name: string,
    rawFilename: string,
    headers: HeaderDict | Record<string, string> = {}
  ) {
    this.file = Buffer.isBuffer(file) ? new SpooledFile(file) : file
    this.name = name
    this.rawFilename = rawFilename
    this.headers = headers instanceof HeaderDict ? headers : new HeaderDict(Object.entries(headers))
  }

  /** The part's Content-Type (`''` when not sent). */
  get contentType(): string {
    return this.headers.get('Content-Type', '')
  }

  /** The size in bytes. */
  get contentLength(): number {
    return this.file.size
  }

  /** A part header, or `fallback`. */
  getHeader(name: string, fallback?: string): string | undefined {
    return this.headers.get(name, fallback)
  }

  /**
   * A file name safe for the local disk, as Bottle builds it: accents folded to ASCII,
   * other non-ASCII dropped, no directory parts, only letters, digits, `-`, `_`, `.`
   * and spaces, runs of `-` and spaces as one `-`, no leading or trailing `.` or `-`, at
   * most 255 characters, and `'empty'` when nothing is left.
   */
  get filename(): string {
    let name = this.rawFilename.normalize('NFKD').replace(/[\u0080-\uffff]/g, '')
    name = name.replace(/\\/g, '/')
    name = name.slice(name.lastIndexOf('/') + 1)
    name = name
      .replace(/[^a-zA-Z0-9\-_.\s]/g, '')
      .trim()
      .replace(/[-\s]+/g, '-')
      .replace(/^[.-]+|[.-]+$/g, '')
    return name.slice(0, 255) || 'empty'
  }

  /**
   * Saves the upload: into a directory (under `filename`), to a file path, or into a
   * writable stream. An existing file is never replaced unless `overwrite` is set.
   *
   * Security: the target is opened exclusively (`wx`), so a file created between check
   * and write is not overwritten either. Whether a directory is a safe place is the
   * caller's decision.
   */
  async save(
    destination: string | NodeJS.WritableStream,
    options: SaveOptions = {}
  ): Promise<void> {
    const { overwrite = false, chunkSize = 65536 } = options
    if (typeof destination !== 'string') {
      await pipeline(this.file.stream({ highWaterMark: chunkSize }), destination, { end: false })
      return
    }
    let target = destination
    const info = await stat(destination).catch(() => null)
    if (info?.isDirectory()) target = join(destination, this.filename)
    try {
      if (this.file.path) {
        await copyFile(this.file.path, target, overwrite ? 0 : fsConstants.COPYFILE_EXCL)
      } else {
        await writeFile(target, this.file.buffer, { flag: overwrite ? 'w' : 'wx' })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw Object.assign(new Error(`File exists: ${target}`), { code: 'EEXIST', path: target })
      }
      throw err
    }
  }
}
