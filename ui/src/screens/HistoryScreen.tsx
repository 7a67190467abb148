import { recordHistory, type HistoryEntry, type Superseded } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { dateTime } from '../dates.ts';
import { useLoad } from '../desk.tsx';
import { words, type EntityKind } from '../records.ts';
import { displayValue, sameValue } from '../resolution.ts';

/** The fields a version changed, with their value before and after. */
export function fieldDiff(entry: Pick<HistoryEntry, 'before' | 'after'>): { field: string; before: unknown; after: unknown }[] {
  const fields = new Set([...Object.keys(entry.before ?? {}), ...Object.keys(entry.after ?? {})]);
  return [...fields]
    .sort()
    .map((field) => ({ field, before: entry.before?.[field] ?? null, after: entry.after?.[field] ?? null }))
    .filter((row) => !sameValue(row.before, row.after));
}

/** Why an edit lost, in words: the policies of the property's merge table. */
const WHY: Record<Superseded['policy'], string> = {
  last_writer_wins: 'a later edit from another desk came first',
  server_wins: 'the value already on the server is kept for this field',
  priority: 'the other status takes priority',
};

/** "Adults: 3 was replaced by 1 (a later edit from another desk came first)". */
export function supersededSentence(lost: Superseded): string {
  const field = words(lost.field);
  return `${field.charAt(0).toUpperCase()}${field.slice(1)}: ${displayValue(lost.value)} was replaced by ${displayValue(lost.kept)} (${WHY[lost.policy]})`;
}

/** Every version of a record: who, on which device, when, and what changed. */
export function HistoryScreen({ entity, id }: { entity: EntityKind; id: string }) {
  const history = useLoad<HistoryEntry[]>(() => recordHistory(entity, id), [entity, id], [entity]);
  return (
    <section className="screen" aria-labelledby="history-title">
      <h1 id="history-title">History of {words(entity)}</h1>
      <p className="muted mono">{id}</p>
      <ErrorNotice error={history.error} />
      {history.data?.length === 0 && <p>No versions recorded yet.</p>}
      <ol className="history" reversed>
        {[...(history.data ?? [])].reverse().map((entry) => (
          <li key={`${entry.hlc}-${entry.op}`} className="history__entry">
            <p className="history__who">
              <strong>{words(entry.op)}</strong> by {entry.user_name ?? entry.user_id} on {entry.device_name ?? entry.device_id},{' '}
              <time dateTime={new Date(entry.at_ms).toISOString()}>
                {dateTime(entry.at_ms)}
              </time>{' '}
              <span className="badge">{entry.origin === 'local' ? 'this device' : 'from server'}</span>
            </p>
            <table className="table diff">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {fieldDiff(entry).map((row) => (
                  <tr key={row.field}>
                    <th scope="row">{words(row.field)}</th>
                    <td className="diff__before">{displayValue(row.before)}</td>
                    <td className="diff__after">{displayValue(row.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {(entry.superseded ?? []).length > 0 && (
              <ul className="history__superseded" aria-label="Edits that lost">
                {(entry.superseded ?? []).map((lost) => (
                  <li key={lost.field}>
                    {supersededSentence(lost)}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
