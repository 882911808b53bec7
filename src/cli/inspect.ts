// `highway-onnx inspect <path>`: an .onnx model, a .safetensors/.pt weights file, artifact.json
// or a training run directory, as text or (--json) as one JSON document.
import { formatReport, inspectPath, type Report } from '../inspect/index.js';
import { printableJson } from '../printable.js';

export async function inspectCommand(path: string, o: { json?: boolean; key?: string; externalData?: 'refuse' | 'model-folder' }): Promise<Report> {
  const report = await inspectPath(path, { ...(o.key !== undefined ? { key: o.key } : {}), ...(o.externalData ? { externalData: o.externalData } : {}) });
  // Text from the file never reaches the terminal raw: escaped in both forms.
  process.stdout.write(o.json ? `${printableJson(JSON.stringify(report, null, 2))}\n` : `${formatReport(report)}\n`);
  return report;
}
