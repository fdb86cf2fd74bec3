// sideloop's prettier task: format one file's source in the loop thread.
import * as prettier from 'prettier';
export async function format(source, filepath) {
  return prettier.format(source, { filepath });
}
