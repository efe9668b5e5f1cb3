import './base.css';
import './external.css';
import './plots.css';
import './settings.css';
import './dialog.css';
