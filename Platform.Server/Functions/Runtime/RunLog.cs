using System.Text;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// A run's log, capped at <see cref="FunctionOptions.MaxLogLines"/> lines and <see cref="FunctionOptions.MaxLogBytes"/>
/// UTF-8 bytes: later lines are counted, not kept, and a last line says how many were dropped.
/// </summary>
internal sealed class RunLog(int maxLines, int maxBytes)
{
    private readonly List<string> _lines = [];
    private long _bytes;
    private int _dropped;

    public void Add(string line)
    {
        var size = Encoding.UTF8.GetByteCount(line);
        if (_lines.Count >= maxLines || _bytes + size > maxBytes)
        {
            _dropped++;
            return;
        }

        _lines.Add(line);
        _bytes += size;
    }

    /// <summary>Lines counted but not kept; <see cref="ToList"/> then ends with one line saying so.</summary>
    public int Dropped => _dropped;

    public IReadOnlyList<string> ToList() => _dropped == 0
        ? _lines.Count == 0 ? [] : [.. _lines]
        : [.. _lines, $"[{_dropped} more log line{(_dropped == 1 ? string.Empty : "s")} dropped: a run keeps at most {maxLines} lines and {maxBytes} bytes]"];
}
