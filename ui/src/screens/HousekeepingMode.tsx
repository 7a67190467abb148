import { useState, type FormEvent } from 'react';

import { makeHousekeepingDay, myTasks, progressTask, reportMaintenance, takeTask, unassignedTasks } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useAction, useDesk, useLoad, useRoomLookup, useVerdict } from '../desk.tsx';
import { words, type HousekeepingTask, type IssueSeverity, type TaskStatus } from '../records.ts';

/**
 * The one-tap step of a task: what a housekeeper does next, and the statuses it moves the
 * task through (the task lifecycle has no pending -> inspected, so an inspection goes through
 * done). `progress_task` sets the room's cleaning status with the task's.
 */
export function nextStep(task: HousekeepingTask, mayInspect = true): { label: string; path: TaskStatus[] } | undefined {
  // Inspecting passes someone's work: a manager's, not the housekeeper's own.
  if (!mayInspect && (task.kind === 'inspection' || task.status === 'done')) {
    return undefined;
  }
  if (task.kind === 'inspection') {
    switch (task.status) {
      case 'pending':
      case 'in_progress':
        return { label: 'Mark inspected', path: ['done', 'inspected'] };
      case 'done':
        return { label: 'Mark inspected', path: ['inspected'] };
      case 'inspected':
        return undefined;
    }
  }
  switch (task.status) {
    case 'pending':
    case 'in_progress':
      return { label: task.kind === 'turndown' ? 'Mark done' : 'Mark clean', path: ['done'] };
    case 'done':
      return { label: 'Mark inspected', path: ['inspected'] };
    case 'inspected':
      return undefined;
  }
}

/** A tablet screen for the signed-in housekeeper: their tasks, one tap each, and issue reports. */
export function HousekeepingMode() {
  const { user } = useDesk();
  const mayInspect = user.role === 'manager';
  const tasks = useLoad<HousekeepingTask[]>(myTasks, [], ['housekeeping_task', 'room']);
  const open = useLoad<HousekeepingTask[]>(unassignedTasks, [], ['housekeeping_task']);
  const [made, setMade] = useState<number | undefined>(undefined);
  const roomOf = useRoomLookup();
  const action = useAction();
  const verdict = useVerdict('progress_task');
  const blocked = verdict?.verdict === 'block';
  const [reportFor, setReportFor] = useState<string | undefined>(undefined);

  const tap = async (task: HousekeepingTask) => {
    const step = nextStep(task, mayInspect);
    if (step === undefined) {
      return;
    }
    await action.run(async () => {
      for (const to of step.path) {
        await progressTask(task.id, to);
      }
      tasks.reload();
    });
  };

  return (
    <section className="screen housekeeping" aria-labelledby="housekeeping-title">
      <h1 id="housekeeping-title">My rooms · {user.display_name}</h1>
      {verdict !== undefined && <p className={`notice notice--${verdict.verdict}`}>{verdict.message}</p>}
      <ErrorNotice error={tasks.error ?? action.error} />
      <div className="housekeeping__day">
        <button
          type="button"
          className="touch"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const tasksMade = await makeHousekeepingDay();
              setMade(tasksMade.length);
              open.reload();
            })
          }
        >
          Make today's tasks
        </button>
        {made !== undefined && (
          <p role="status">{made === 0 ? "Today's tasks were made already." : `${made} task(s) made for today.`}</p>
        )}
      </div>
      {tasks.data?.length === 0 && <p>No tasks for you right now.</p>}
      {(open.data ?? []).length > 0 && (
        <section aria-labelledby="open-tasks-title">
          <h2 id="open-tasks-title">Not taken yet ({open.data?.length})</h2>
          <ul className="task-list" aria-label="Tasks not taken yet">
            {(open.data ?? []).map((task) => {
              const number = roomOf(task.room_id)?.number ?? '?';
              return (
                <li key={task.id} className="task">
                  <div className="task__room">Room {number}</div>
                  <div className="task__what">
                    {words(task.kind)} · priority {task.priority}
                  </div>
                  <button
                    type="button"
                    className="touch primary"
                    disabled={action.busy || blocked}
                    aria-label={`Take room ${number}`}
                    onClick={() =>
                      void action.run(async () => {
                        await takeTask(task.id);
                        tasks.reload();
                        open.reload();
                      })
                    }
                  >
                    Take
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      <ul className="task-list" aria-label="My tasks">
        {(tasks.data ?? []).map((task) => {
          const room = roomOf(task.room_id);
          const step = nextStep(task, mayInspect);
          const number = room?.number ?? '?';
          return (
            <li key={task.id} className={`task task--${task.status}`}>
              <div className="task__room">Room {number}</div>
              <div className="task__what">
                {words(task.kind)} · priority {task.priority}
              </div>
              <div className="task__status">
                <StatusBadge status={task.status} />
                {room !== undefined && <StatusBadge status={room.cleaning} />}
              </div>
              {step !== undefined && (
                <button
                  type="button"
                  className="touch primary"
                  disabled={action.busy || blocked}
                  title={blocked ? verdict.message : undefined}
                  onClick={() => void tap(task)}
                  aria-label={`${step.label}: room ${number}`}
                >
                  {step.label}
                </button>
              )}
              {step === undefined && task.status !== 'inspected' && <p className="muted">Waiting for a manager's inspection</p>}
              <button type="button" className="touch" onClick={() => setReportFor(task.room_id)} aria-label={`Report an issue in room ${number}`}>
                Report issue
              </button>
              {reportFor === task.room_id && <IssueForm roomId={task.room_id} roomNumber={number} onDone={() => setReportFor(undefined)} />}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Reports a maintenance issue in a room, optionally taking it out of order. */
export function IssueForm({ roomId, roomNumber, onDone }: { roomId: string; roomNumber: string; onDone: () => void }) {
  const [description, setDescription] = useState('');
  const [severity, setSeverity] = useState<IssueSeverity>('medium');
  const [outOfOrder, setOutOfOrder] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (description.trim() === '') {
      setError('Describe the issue');
      return;
    }
    setError(undefined);
    const done = await action.run(() =>
      reportMaintenance({ room_id: roomId, description: description.trim(), severity, out_of_order: outOfOrder ? { until: null } : null }),
    );
    if (done !== undefined) {
      onDone();
    }
  };
  return (
    <form className="issue-form" onSubmit={submit} noValidate aria-label={`Report an issue in room ${roomNumber}`}>
      <Field label="What is wrong" error={error ?? (action.error?.field === 'description' ? action.error.message : undefined)}>
        {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field label="Severity">
        {(p) => (
          <select {...p} value={severity} onChange={(e) => setSeverity(e.target.value as IssueSeverity)}>
            {(['low', 'medium', 'high', 'urgent'] as const).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        )}
      </Field>
      <label className="check touch">
        <input type="checkbox" checked={outOfOrder} onChange={(e) => setOutOfOrder(e.target.checked)} /> Take the room out of order
      </label>
      {action.error?.field !== 'description' && <ErrorNotice error={action.error} />}
      <div className="actions">
        <button type="submit" className="touch primary" disabled={action.busy}>
          Send report
        </button>
        <button type="button" className="touch" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
