// The live training chart on a canvas: smoothed training loss (left axis), smoothed training
// accuracy and dev accuracy (right axis, 0–100%), against steps.
import type { TrainProgress } from 'highway-onnx/web';

const COLOURS = { loss: '#d6336c', train: '#74c0fc', dev: '#1c4ed8', grid: '#e5e7eb', text: '#4b5563' };

export class TrainChart {
  private points: TrainProgress[] = [];
  private total = 1;
  private pending = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.schedule()).observe(canvas);
  }

  reset(totalSteps: number): void {
    this.points = [];
    this.total = Math.max(1, totalSteps);
    this.schedule();
  }

  add(p: TrainProgress): void {
    this.points.push(p);
    this.total = p.totalSteps;
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (w === 0 || h === 0) return;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const pad = { l: 40, r: 44, t: 12, b: 34 };
    const pw = w - pad.l - pad.r;
    const ph = h - pad.t - pad.b;
    const maxLoss = Math.max(0.8, ...this.points.map((p) => p.smoothLoss));
    const x = (step: number): number => pad.l + (step / this.total) * pw;
    const yLoss = (v: number): number => pad.t + ph - (v / maxLoss) * ph;
    const yAcc = (v: number): number => pad.t + ph - v * ph;

    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = pad.t + (ph * i) / 4;
      g.strokeStyle = COLOURS.grid;
      g.beginPath();
      g.moveTo(pad.l, y);
      g.lineTo(pad.l + pw, y);
      g.stroke();
      g.fillStyle = COLOURS.loss;
      g.textAlign = 'right';
      g.fillText((maxLoss * (1 - i / 4)).toFixed(2), pad.l - 4, y + 4);
      g.fillStyle = COLOURS.dev;
      g.textAlign = 'left';
      g.fillText(`${100 - 25 * i}%`, pad.l + pw + 4, y + 4);
    }
    g.fillStyle = COLOURS.text;
    g.textAlign = 'right';
    g.fillText(`step (of ${this.total})`, pad.l + pw, h - 8);

    const line = (pts: [number, number][], colour: string, width: number): void => {
      if (pts.length === 0) return;
      g.strokeStyle = colour;
      g.lineWidth = width;
      g.beginPath();
      pts.forEach(([px, py], i) => (i === 0 ? g.moveTo(px, py) : g.lineTo(px, py)));
      g.stroke();
    };
    line(this.points.map((p) => [x(p.step), yAcc(p.smoothAccuracy)]), COLOURS.train, 1.5);
    line(this.points.map((p) => [x(p.step), yLoss(p.smoothLoss)]), COLOURS.loss, 2);
    const dev = this.points.filter((p) => p.devAccuracy !== undefined).map((p) => [x(p.step), yAcc(p.devAccuracy!)] as [number, number]);
    line(dev, COLOURS.dev, 2);
    g.fillStyle = COLOURS.dev;
    for (const [px, py] of dev) {
      g.beginPath();
      g.arc(px, py, 2.5, 0, 2 * Math.PI);
      g.fill();
    }

    const legend: [string, string][] = [['loss', COLOURS.loss], ['train acc', COLOURS.train], ['dev acc', COLOURS.dev]];
    // Under the plot, where no line runs.
    let lx = pad.l;
    g.textAlign = 'left';
    for (const [name, colour] of legend) {
      g.fillStyle = colour;
      g.fillRect(lx, h - 13, 10, 3);
      g.fillStyle = COLOURS.text;
      g.fillText(name, lx + 14, h - 8);
      lx += g.measureText(name).width + 30;
    }
  }
}
