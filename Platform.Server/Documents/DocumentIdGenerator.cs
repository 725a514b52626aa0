using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Platform.Server.Documents;

/// <summary>
/// Generates 24-hex-character ids in MongoDB ObjectId layout: 4-byte big-endian seconds since the Unix epoch,
/// 5 random bytes fixed per generator, and a 3-byte counter starting at a random value. Ids from one generator
/// are unique and roughly time-ordered. Register as a singleton.
/// </summary>
public sealed class DocumentIdGenerator
{
    private readonly TimeProvider timeProvider;
    private readonly byte[] random = new byte[5];
    private int counter;

    public DocumentIdGenerator(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        this.timeProvider = timeProvider;
        RandomNumberGenerator.Fill(random);
        counter = RandomNumberGenerator.GetInt32(0, 1 << 24);
    }

    /// <summary>A new id: 24 lowercase hexadecimal characters.</summary>
    public string NewId()
    {
        Span<byte> bytes = stackalloc byte[12];
        var seconds = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        BinaryPrimitives.WriteUInt32BigEndian(bytes, unchecked((uint)seconds));
        random.CopyTo(bytes[4..]);
        var next = Interlocked.Increment(ref counter) & 0xFFFFFF;
        bytes[9] = (byte)(next >> 16);
        bytes[10] = (byte)(next >> 8);
        bytes[11] = (byte)next;
        return Convert.ToHexStringLower(bytes);
    }
}
