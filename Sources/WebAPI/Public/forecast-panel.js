// What follows a forecast request (a symbol's or an uploaded series'): a 200 is the document;
// a 202 is a job, followed with a progress bar to its end, whose result is the document.
import { h, note } from './dom.js';
import { followJob } from './jobs.js';
import { renderForecast } from './forecast-report.js';

function progressView() {
  const bar = h('progress', { id: 'job-progress', max: 1, value: 0, data: { progress: 0, seen: '' } });
  const stage = h('p', { id: 'job-stage', class: 'muted' }, 'Queued…');
  const box = h('section', { class: 'card job', id: 'job', 'aria-live': 'polite' },
    h('h3', {}, 'Computing the forecast'), bar, stage);
  const update = (job) => {
    bar.value = job.progress;
    bar.dataset.progress = String(job.progress);
    // Every value this page was told, in order: what "the bar moved" means, checkable.
    bar.dataset.seen = `${bar.dataset.seen} ${job.progress}`.trim();
    bar.dataset.status = job.status;
    const percent = `${Math.round(job.progress * 100)}%`;
    stage.textContent = `${job.status} · ${percent}${job.stage ? ` · ${job.stage}` : ''}`;
  };
  return { box, update };
}

/** `answer` is the API's { status, data } for the request; `label` names the series. */
export async function showForecast(container, answer, label) {
  if (answer.status === 200) { renderForecast(container, answer.data, label); return; }
  const { box, update } = progressView();
  container.replaceChildren(box);
  const job = await followJob(answer.data.job_id, update);
  if (job.status === 'done' && job.result && typeof job.result === 'object') {
    renderForecast(container, job.result, label);
  } else {
    box.append(note(`The job ended ${job.status}: ${job.error || 'no reason given'}.`, 'error'));
  }
}
