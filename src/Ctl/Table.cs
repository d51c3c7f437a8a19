using System.Text;

namespace BgpLb.Ctl;

/// <summary>Columns padded to their widest cell, as <c>birdc show protocols</c> and <c>gobgp neighbor</c> print them.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public int Rows => _rows.Count;

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                // The last column is not padded: no trailing blanks.
                text.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }
            text.Append('\n');
        }
        Line(headers);
        foreach (var row in _rows)
        {
            Line(row);
        }
        return text.ToString();
    }
}
