import { LabIcon } from '@jupyterlab/ui-components';
import daskSvg from '../style/icons/dask.svg';
import scaleSvg from '../style/icons/scale.svg';

/**
 * The Dask icon of the sidebar, the dashboard tabs and the settings.
 */
export const daskIcon = new LabIcon({
  name: 'jupyterlab-dask-clusters:dask',
  svgstr: daskSvg
});

/**
 * The icon of the scale action.
 */
export const scaleIcon = new LabIcon({
  name: 'jupyterlab-dask-clusters:scale',
  svgstr: scaleSvg
});
