using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace BgpLb.Daemon.Model;

/// <summary>
/// Presents the next document of a multi-document YAML stream as a stream of its own (StreamStart,
/// the document's events, StreamEnd), so that <c>YamlStream.Load</c> builds one document's node tree
/// at a time. A file of 100,000 Services is then read in the memory of one document, not of all of
/// them at once (YamlStream alone keeps every node of every document until the end).
/// </summary>
internal sealed class DocumentParser : IParser
{
    private readonly IParser _source;
    private State _state = State.BeforeStream;

    private DocumentParser(IParser source) => _source = source;

    public ParsingEvent? Current { get; private set; }

    /// <summary>Yields one single-document parser per document of <paramref name="reader"/>, each to be loaded before the next is asked for.</summary>
    public static IEnumerable<IParser> Documents(TextReader reader)
    {
        var source = new Parser(reader);
        source.Consume<StreamStart>();
        while (!source.Accept<StreamEnd>(out _))
        {
            var document = new DocumentParser(source);
            yield return document;
            // Each document must be read to its end before the next is asked for (YamlStream.Load does;
            // an error in it ends the enumeration by exception), or the next would start mid-document.
            if (document._state != State.Done)
            {
                throw new InvalidOperationException("a YAML document was not read to its end before the next was asked for");
            }
        }
    }

    public bool MoveNext()
    {
        switch (_state)
        {
            case State.BeforeStream:
                Current = new StreamStart();
                _state = State.InDocument;
                return true;
            case State.InDocument:
                Current = _source.Current;
                _source.MoveNext();
                if (Current is DocumentEnd)
                {
                    // Hand out DocumentEnd now; the next call ends the stream. The source already
                    // moved past it, so remember that through the state rather than its Current.
                    _state = State.AfterDocumentEnd;
                }
                return true;
            case State.AfterDocumentEnd:
                Current = new StreamEnd();
                _state = State.AtStreamEnd;
                return true;
            case State.AtStreamEnd:
                _state = State.Done;
                Current = null;
                return false;
            default:
                return false;
        }
    }

    private enum State
    {
        BeforeStream,
        InDocument,
        AfterDocumentEnd,
        AtStreamEnd,
        Done,
    }
}
