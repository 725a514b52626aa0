namespace Platform.Server.Realtime;

/// <summary>
/// One client address's connections on this node, and what its costly matching spent in the current second
/// (<see cref="RealtimeOptions.MatchBudgetPerClient"/>). Shared by the address's connections; the count is guarded by
/// the dispatcher's lock, the budget by its own.
/// </summary>
internal sealed class ClientMatchBudget(string address, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private DateTimeOffset _windowStart = time.GetUtcNow();
    private long _spent;

    public string Address { get; } = address;

    /// <summary>Open connections from the address (dispatcher's lock).</summary>
    public int Connections { get; set; }

    /// <summary>
    /// Charges <paramref name="cost"/> against this second's <paramref name="budget"/>; false (nothing charged) when it
    /// does not fit. A budget of 0 or less means no budget.
    /// </summary>
    public bool TryCharge(long cost, long budget)
    {
        if (budget <= 0)
        {
            return true;
        }

        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (now - _windowStart >= Window || now < _windowStart)
            {
                _windowStart = now;
                _spent = 0;
            }

            if (cost > budget - _spent)
            {
                return false;
            }

            _spent += cost;
            return true;
        }
    }
}
