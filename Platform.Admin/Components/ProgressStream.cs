namespace Platform.Admin.Components;

/// <summary>
/// A read-only stream over another that reports how many bytes were read so far (an upload's progress), at most
/// once per percent of <paramref name="length"/> or per 64 KiB when the length is unknown.
/// </summary>
public sealed class ProgressStream(Stream inner, Action<long> progress, long length = 0) : Stream
{
    private long _read;
    private long _reported;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Advance(inner.Read(buffer, offset, count));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Advance(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Advance(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int Advance(int read)
    {
        _read += read;
        var step = length > 0 ? Math.Max(1, length / 100) : 64 * 1024;
        if (read == 0 || _read - _reported >= step)
        {
            _reported = _read;
            progress(_read);
        }

        return read;
    }
}
