// Following a job to its end: the event stream first (the jobs routes need no token, so
// EventSource works), polling GET /api/jobs/{id} if the stream fails. Resolves with the final
// job document; onUpdate sees every state on the way.
import { api } from './api.js';

const FINISHED = new Set(['done', 'failed', 'timeout']);

export function followJob(id, onUpdate) {
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = (job) => { finished = true; resolve(job); };
    const update = (job) => {
      onUpdate(job);
      if (FINISHED.has(job.status)) finish(job);
    };

    const poll = async () => {
      while (!finished) {
        try {
          const { data, headers } = await api(`/api/jobs/${encodeURIComponent(id)}`, { auth: false });
          update(data);
          if (finished) return;
          const wait = Number(headers.get('Retry-After')) || 1;
          await new Promise((r) => setTimeout(r, wait * 1000));
        } catch (error) {
          finished = true;
          reject(error);
        }
      }
    };

    if (typeof EventSource !== 'function') { poll(); return; }
    const stream = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
    stream.addEventListener('job', (event) => {
      let job;
      try { job = JSON.parse(event.data); } catch { return; }
      update(job);
      // The server ends the stream after the last state; closing first stops EventSource reconnecting.
      if (finished) stream.close();
    });
    stream.onerror = () => {
      if (finished) return;
      // A dropped or refused stream: the job's state is still one GET away.
      stream.close();
      poll();
    };
  });
}
